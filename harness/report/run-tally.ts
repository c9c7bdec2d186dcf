import { display } from "../model/yaml-source.ts";
import type { EngineSummary } from "../run/engine.ts";
import type { ListedScenario } from "../run/run-scenarios.ts";
import type { Shard } from "../run/shard.ts";

/** The run's last lines: where the results are, the counts, and the checks that are flaky or known to fail. */
export function runTally(summary: EngineSummary, resultsDir: string): string {
  const lines = [`Allure results: ${resultsDir} (\`macvlab report\` renders HTML)`];
  for (const id of new Set(summary.flaky)) lines.push(`flaky: ${id} failed, then passed when judged again`);
  for (const id of new Set(summary.knownFailures)) lines.push(`known issue: ${id} failed as known-issues lists it`);
  for (const id of new Set(summary.knownPassing))
    lines.push(`known issue now passes: ${id} (take it out of the known-issues file)`);
  const flaky = new Set(summary.flaky).size;
  const known = new Set(summary.knownFailures).size;
  const counts = [
    `${summary.passes} passed${flaky ? ` (${flaky} flaky)` : ""}`,
    `${summary.failures} failed${known ? ` (${known} known)` : ""}`,
    `${summary.skipped} skipped`,
  ];
  lines.push(`macvlab: ${counts.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

/** `run --list`: one line per scenario, with what the split weighed it at. */
export function listedText(listed: readonly ListedScenario[], shard: Shard | undefined): string {
  const head = shard ? `shard ${shard.index}/${shard.count}: ` : "";
  const lines = listed.map(
    (s) => `${s.id}\t${display(s.file)}\t${s.timed ? `${(s.weightMs / 1000).toFixed(1)} s measured` : "not timed yet"}`,
  );
  return `${head}${listed.length} scenario${listed.length === 1 ? "" : "s"}\n${lines.map((l) => `  ${l}\n`).join("")}`;
}
