/**
 * "Did the network do what the article says?", one row per check of a scenario that ran: the claim
 * (the check's title), what it expected, what was measured (TTL seen, loss, tag, error text) and the
 * verdict. The article's claim and the measurement side by side, also where they disagree.
 */
export interface ClaimRow {
  readonly scenario: string;
  readonly check: string;
  readonly claim: string;
  readonly expected: string;
  readonly measured: string;
  readonly held: boolean;
}

const CSV_HEADER = ["check", "claim (the article)", "expected", "measured", "verdict"];

/** RFC 4180 CSV, which the Allure report shows as a table. */
export function claimsCsv(rows: readonly ClaimRow[]): string {
  const cell = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [CSV_HEADER, ...rows.map((r) => [r.check, r.claim, r.expected, r.measured, verdictOf(r)])]
    .map((cells) => cells.map(cell).join(","))
    .join("\r\n")
    .concat("\r\n");
}

export const verdictOf = (row: ClaimRow) => (row.held ? "holds" : "does not hold");
