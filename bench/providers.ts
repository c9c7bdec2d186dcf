/**
 * Measured side by side in one run on this machine: UML boot-to-ready; the scenarios both providers
 * can run, each run on both (times and uml / netns); and every scenario on `auto` one after another
 * beside the same with `--jobs N` (times and serial / parallel).
 * Usage: npm run bench [-- --boots 3] [-- --jobs 2,4] (`--jobs none` leaves the suite out)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { providerNamed } from "../harness/providers/registry.ts";
import { bootUml } from "../harness/providers/uml/boot.ts";
import { allureReporting } from "../harness/report/allure-reporting.ts";
import { parseJobs } from "../harness/run/job-plan.ts";
import { runScenarios } from "../harness/run/run-scenarios.ts";
import { loadScenarios } from "../harness/scenario/load-all.ts";

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const boots = Number(flag("--boots", "3"));
const suiteJobs = flag("--jobs", "2,4") === "none" ? [] : flag("--jobs", "2,4").split(",").map(parseJobs);
const work = mkdtempSync(join(tmpdir(), "macvlab-bench-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const bootMs: number[] = [];
for (let i = 0; i < boots; i++) {
  const started = performance.now();
  const machine = await bootUml({ stateDir: join(work, `boot-${i}`), name: `bench${i}` });
  bootMs.push(performance.now() - started);
  await machine.stop();
}

// The scenarios whose requirements the host kernel meets (measured) run on both providers.
const netnsCan = (await providerNamed("netns").capabilities()).has;
const shared = loadScenarios([]).filter(({ scenario }) => scenario.requires.every((c) => netnsCan.has(c)));
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

// The whole suite on auto: one scenario after another, then with each --jobs value.
const suiteRows: Array<[number, number]> = [];
for (const jobs of suiteJobs.length ? [1, ...suiteJobs] : []) {
  const started = performance.now();
  const summary = await runScenarios({
    files: [],
    provider: "auto",
    resultsDir: join(work, `suite-${jobs}`),
    reporting: allureReporting,
    jobs,
  });
  if (summary.failures) throw new Error(`the suite failed with --jobs ${jobs}: the benchmark only times passing runs`);
  suiteRows.push([jobs, performance.now() - started]);
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
const serial = suiteRows[0]?.[1];
if (serial) {
  console.log(`\n${"every scenario (auto)".padEnd(28)}${"wall".padStart(10)}${"serial/this".padStart(14)}`);
  for (const [jobs, ms] of suiteRows)
    console.log(`${`--jobs ${jobs}`.padEnd(28)}${s(ms).padStart(10)}${(serial / ms).toFixed(2).padStart(13)}x`);
}
