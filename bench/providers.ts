/**
 * netns vs uml, measured side by side in one run on this machine: UML boot-to-ready, and the
 * scenarios both providers can run, each run on both. Prints times and ratios (uml / netns).
 * Usage: npm run bench [-- --boots 3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { bootUml } from "../harness/providers/uml/boot.ts";
import { allureReporting } from "../harness/report/allure-reporting.ts";
import { runScenarios } from "../harness/run/run-scenarios.ts";
import { loadScenarios } from "../harness/scenario/load-all.ts";

const bootsFlag = process.argv.indexOf("--boots");
const boots = bootsFlag > 0 ? Number(process.argv[bootsFlag + 1]) : 3;
const work = mkdtempSync(join(tmpdir(), "macvlab-bench-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const bootMs: number[] = [];
for (let i = 0; i < boots; i++) {
  const started = performance.now();
  const machine = await bootUml({ stateDir: join(work, `boot-${i}`), name: `bench${i}` });
  bootMs.push(performance.now() - started);
  await machine.stop();
}

// The scenarios whose requirements the host kernel meets run on both providers.
const shared = loadScenarios([]).filter(
  ({ scenario }) => !scenario.requires.some((c) => c === "8021q" || c === "ipvlan"),
);
const rows: Array<[string, number, number]> = [];
for (const { scenario } of shared) {
  const timeOn = async (provider: string) => {
    const started = performance.now();
    const resultsDir = join(work, `${provider}-${scenario.id}`);
    const summary = await runScenarios({ files: [scenario.file], provider, resultsDir, reporting: allureReporting });
    if (summary.failures)
      throw new Error(`${scenario.id} failed on ${provider}: the benchmark only times passing runs`);
    return performance.now() - started;
  };
  rows.push([scenario.id, await timeOn("netns"), await timeOn("uml")]);
}
rmSync(work, { recursive: true, force: true });

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(`\nUML boot to ready (median of ${boots}): ${s(median(bootMs))}  [${bootMs.map(s).join(", ")}]`);
console.log(`\n${"scenario".padEnd(28)}${"netns".padStart(10)}${"uml".padStart(10)}${"uml/netns".padStart(12)}`);
for (const [id, netns, uml] of rows)
  console.log(
    `${id.padEnd(28)}${s(netns).padStart(10)}${s(uml).padStart(10)}${(uml / netns).toFixed(2).padStart(11)}x`,
  );
const total = rows.reduce((acc, [, n, u]) => [acc[0]! + n, acc[1]! + u], [0, 0]);
console.log(
  `${"all shared scenarios".padEnd(28)}${s(total[0]!).padStart(10)}${s(total[1]!).padStart(10)}${(total[1]! / total[0]!).toFixed(2).padStart(11)}x`,
);
