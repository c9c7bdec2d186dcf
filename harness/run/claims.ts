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

/** Adds a check's claim, or replaces it when the check was judged again (`--retries`): the last measurement counts. */
export function recordClaim(rows: ClaimRow[], row: ClaimRow): void {
  const earlier = rows.findIndex((r) => r.scenario === row.scenario && r.check === row.check);
  if (earlier >= 0) rows.splice(earlier, 1, row);
  else rows.push(row);
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
