import type { ClaimRow } from "../run/claims.ts";

/**
 * The end of `macvlab run`: per scenario that ran, each claim of the article with what the network
 * did; where the two differ, both.
 */
export function claimsText(rows: readonly ClaimRow[], scenarioOrder: readonly string[]): string {
  if (!rows.length) return "";
  const order = (id: string) => {
    const i = scenarioOrder.indexOf(id);
    return i === -1 ? scenarioOrder.length : i;
  };
  const scenarios = [...new Set(rows.map((r) => r.scenario))].sort((a, b) => order(a) - order(b));
  const lines = [`Article vs measured (${rows.length} claims, ${scenarios.length} scenarios):`];
  for (const scenario of scenarios) {
    lines.push(`  ${scenario}`);
    for (const row of rows.filter((r) => r.scenario === scenario))
      lines.push(
        row.held
          ? `    ✔ ${row.claim}: measured ${row.measured}`
          : `    ✘ ${row.claim}: expected ${row.expected}, measured ${row.measured}`,
      );
  }
  return `${lines.join("\n")}\n`;
}
