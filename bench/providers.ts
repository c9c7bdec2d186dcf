/**
 * Measured side by side in one run on this machine:
 * - UML boot to ready;
 * - lab up for 2/8/32/64 nodes on netns and on uml, beside the bare shell-script floor on the same
 *   kernel (ratio), and a command through the harness's SSH beside `ip netns exec … true` (ratio);
 * - the scenarios both providers can run, each on both (uml / netns);
 * - every scenario on `auto`: a fresh lab each (`--fresh-lab`), labs reused, and `--jobs N` (ratios);
 * - a Docker lab up with and without its engines, and each Docker scenario beside its namespace twin;
 * - where a Docker engine answers (DOCKER_HOST): the containers provider's lab up by size and each
 *   scenario it can run, beside netns;
 * - every scenario split into 1, 2 and 3 shards run at once on this machine (`run --shard i/n`, each a
 *   process with its own state dir, as on n machines), and the merge of their results into one report.
 * Usage: npm run bench [-- --boots 3] [-- --sizes 2,8,32,64] [-- --uml-sizes 2,8,32,64]
 *        [-- --jobs 2,4 | none] [-- --pairs none] [-- --docker none] [-- --shards 1,2,3 | none]
 *        [-- --container-sizes 2,8,32 | none]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { CLI_ENTRY } from "../harness/model/paths.ts";
import { providerNamed } from "../harness/providers/registry.ts";
import { bootUml } from "../harness/providers/uml/boot.ts";
import { allureReporting } from "../harness/report/allure-reporting.ts";
import { readAttempts } from "../harness/report/results-read.ts";
import { parseJobs } from "../harness/run/job-plan.ts";
import { runScenarios } from "../harness/run/run-scenarios.ts";
import { loadScenarios } from "../harness/scenario/load-all.ts";
import { containerScenarioTimes, containerSizes, containersUnavailable } from "./containers.ts";
import { engineUps, twinTimes } from "./docker.ts";
import { type Floor, floors, type LabUp, labUp, median, syntheticLab } from "./lab-sizes.ts";

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const list = (name: string, fallback: string) =>
  flag(name, fallback) === "none" ? [] : flag(name, fallback).split(",").map(Number);
const boots = Number(flag("--boots", "3"));
const netnsSizes = list("--sizes", "2,8,32,64");
const umlSizes = list("--uml-sizes", "2,8,32,64");
const suiteJobs = flag("--jobs", "2,4") === "none" ? [] : flag("--jobs", "2,4").split(",").map(parseJobs);
const pairs = flag("--pairs", "all") !== "none";
const dockerRows = flag("--docker", "all") !== "none";
const shardCounts = list("--shards", "1,2,3");
const containerSizeList = list("--container-sizes", "2,8,32");
const work = mkdtempSync(join(tmpdir(), "macvlab-bench-"));
// Every lab of the benchmark lives in its own state dir, removed at the end.
process.env.MACVLAB_STATE_DIR = join(work, "state");
const labsDir = join(work, "labs");
mkdirSync(labsDir);
const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "—");
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}x` : "—");

const bootMs: number[] = [];
for (let i = 0; i < boots; i++) {
  const started = performance.now();
  const machine = await bootUml({ stateDir: join(work, `boot-${i}`), name: `bench${i}` });
  bootMs.push(performance.now() - started);
  await machine.stop();
}

// Lab up by size, beside the floor.
const sizeRows: Array<{ provider: string; nodes: number; up: LabUp; floor?: Floor }> = [];
for (const [provider, sizes] of [
  ["netns", netnsSizes],
  ["uml", umlSizes],
] as const) {
  if (!sizes.length) continue;
  const floor = await floors(work, sizes, provider);
  for (const [i, nodes] of sizes.entries())
    sizeRows.push({ provider, nodes, up: await labUp(provider, syntheticLab(labsDir, nodes)), floor: floor[i] });
}

// The scenarios whose requirements the host kernel meets (measured) run on both providers.
const pairRows: Array<[string, number, number]> = [];
if (pairs) {
  const netnsCan = (await providerNamed("netns").capabilities()).has;
  const shared = loadScenarios([]).filter(({ scenario }) => scenario.requires.every((c) => netnsCan.has(c)));
  for (const { scenario } of shared) {
    const timeOn = async (provider: string) => {
      const started = performance.now();
      const resultsDir = join(work, `${provider}-${scenario.id}`);
      const summary = await runScenarios({ files: [scenario.file], provider, resultsDir, reporting: allureReporting });
      if (summary.failures)
        throw new Error(`${scenario.id} failed on ${provider}: the benchmark only times passing runs`);
      return performance.now() - started;
    };
    pairRows.push([scenario.id, await timeOn("netns"), await timeOn("uml")]);
  }
}

// What engines cost: Docker labs with and without them; Docker scenarios beside their namespace twins.
const engineRows = dockerRows
  ? await engineUps(labsDir, [
      ["docker-hosts", "netns"],
      ["docker-trunk", "uml"],
    ])
  : [];
const twinRows = dockerRows ? await twinTimes(work) : [];

// The containers provider beside netns, where an engine answers.
const noContainers = containerSizeList.length ? await containersUnavailable() : "not asked (--container-sizes none)";
const containerSizeRows = noContainers ? [] : await containerSizes(labsDir, containerSizeList);
const containerScenarioRows = noContainers ? [] : await containerScenarioTimes(work);

// The whole suite on auto: fresh labs one after another (as before reuse), reused labs, then each --jobs.
const suiteRows: Array<[string, number]> = [];
const variants: Array<[string, { jobs: number; freshLab?: boolean }]> = suiteJobs.length
  ? [
      ["--jobs 1 --fresh-lab", { jobs: 1, freshLab: true }],
      ["--jobs 1 (labs reused)", { jobs: 1 }],
      ...suiteJobs.map((jobs): [string, { jobs: number }] => [`--jobs ${jobs}`, { jobs }]),
    ]
  : [];
for (const [label, options] of variants) {
  const started = performance.now();
  const summary = await runScenarios({
    files: [],
    provider: "auto",
    resultsDir: join(work, `suite-${suiteRows.length}`),
    reporting: allureReporting,
    ...options,
  });
  if (summary.failures) throw new Error(`the suite failed with ${label}: the benchmark only times passing runs`);
  suiteRows.push([label, performance.now() - started]);
}
// The suite in n shards at once (n processes, distinct state dirs), then one report of them all.
const cli = (args: string[], state: string) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      env: { ...process.env, MACVLAB_STATE_DIR: state },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("exit", (code) => resolve({ code, output }));
  });
const shardRows: Array<{ shards: number; wallMs: number; mergeMs: number }> = [];
const shardVerdicts = new Map<number, string>();
for (const count of shardCounts) {
  const dirs = Array.from({ length: count }, (_, i) => join(work, `shards-${count}`, `part-${i + 1}`));
  const started = performance.now();
  const runs = await Promise.all(
    dirs.map((dir, i) =>
      cli(
        ["run", "--shard", `${i + 1}/${count}`, "--timings", join(work, "no-timings.json"), "--results", dir],
        `${dir}-state`,
      ),
    ),
  );
  const wallMs = performance.now() - started;
  for (const [i, run] of runs.entries())
    if (run.code !== 0)
      throw new Error(`shard ${i + 1}/${count} failed: the benchmark only times passing runs\n${run.output}`);
  const merging = performance.now();
  const merged = await cli(
    ["report", ...dirs.flatMap((d) => ["--results", d]), "--no-history", "-o", join(work, `report-${count}`)],
    join(work, "report-state"),
  );
  if (merged.code !== 0) throw new Error(`merging ${count} shards failed\n${merged.output}`);
  shardRows.push({ shards: count, wallMs, mergeMs: performance.now() - merging });
  // n shards must judge what one run judges: the same checks, the same verdicts.
  const verdicts = readAttempts(dirs).map((c) => `${c.testCaseId} ${c.attempts.at(-1)?.result.status}`);
  shardVerdicts.set(count, verdicts.sort().join("\n"));
  const whole = shardVerdicts.values().next().value;
  if (shardVerdicts.get(count) !== whole) throw new Error(`${count} shards judged other checks than ${shardCounts[0]}`);
}

rmSync(work, { recursive: true, force: true });

console.log(`\nUML boot to ready (median of ${boots}): ${s(median(bootMs))}  [${bootMs.map(s).join(", ")}]`);
if (sizeRows.length) {
  console.log(
    `\n${"lab up".padEnd(16)}${"harness".padStart(10)}${"floor".padStart(10)}${"ratio".padStart(8)}${"command".padStart(12)}${"ip netns exec".padStart(15)}${"ratio".padStart(8)}${"down".padStart(10)}`,
  );
  for (const { provider, nodes, up, floor } of sizeRows) {
    const floorMs = floor?.upMs ?? Number.NaN;
    const floorExecMs = (floor?.execUs ?? Number.NaN) / 1000;
    console.log(
      `${`${provider} ${nodes} nodes`.padEnd(16)}${s(up.upMs).padStart(10)}${s(floorMs).padStart(10)}${ratio(up.upMs, floorMs).padStart(8)}${`${up.execMs.toFixed(1)} ms`.padStart(12)}${`${floorExecMs.toFixed(1)} ms`.padStart(15)}${ratio(up.execMs, floorExecMs).padStart(8)}${s(up.downMs ?? Number.NaN).padStart(10)}${up.error ? `  failed: ${up.error}` : ""}`,
    );
  }
}
if (pairRows.length) {
  console.log(`\n${"scenario".padEnd(28)}${"netns".padStart(10)}${"uml".padStart(10)}${"uml/netns".padStart(12)}`);
  for (const [id, netns, uml] of pairRows)
    console.log(`${id.padEnd(28)}${s(netns).padStart(10)}${s(uml).padStart(10)}${ratio(uml, netns).padStart(12)}`);
  const total = pairRows.reduce((acc, [, n, u]) => [(acc[0] ?? 0) + n, (acc[1] ?? 0) + u], [0, 0]);
  console.log(
    `${"all shared scenarios".padEnd(28)}${s(total[0] ?? 0).padStart(10)}${s(total[1] ?? 0).padStart(10)}${ratio(total[1] ?? 0, total[0] ?? 1).padStart(12)}`,
  );
}
if (engineRows.length) {
  console.log(`\n${"lab up".padEnd(24)}${"engines".padStart(10)}${"none".padStart(10)}${"ratio".padStart(8)}`);
  for (const { lab, provider, withEngines, bare } of engineRows)
    console.log(
      `${`${lab} (${provider})`.padEnd(24)}${s(withEngines.upMs).padStart(10)}${s(bare.upMs).padStart(10)}${ratio(withEngines.upMs, bare.upMs).padStart(8)}${withEngines.error ? `  failed: ${withEngines.error}` : ""}`,
    );
}
if (twinRows.length) {
  console.log(
    `\n${"Docker scenario".padEnd(30)}${"wall".padStart(10)}${"namespace twin".padStart(26)}${"wall".padStart(10)}${"ratio".padStart(8)}`,
  );
  for (const [docker, twin, dockerMs, twinMs] of twinRows)
    console.log(
      `${docker.padEnd(30)}${s(dockerMs).padStart(10)}${twin.padStart(26)}${s(twinMs).padStart(10)}${ratio(dockerMs, twinMs).padStart(8)}`,
    );
}
if (noContainers) console.log(`\ncontainers provider: not measured (${noContainers})`);
if (containerSizeRows.length) {
  console.log(
    `\n${"lab up".padEnd(22)}${"containers".padStart(12)}${"netns".padStart(10)}${"ratio".padStart(8)}${"docker exec".padStart(13)}${"ssh (netns)".padStart(13)}${"ratio".padStart(8)}`,
  );
  for (const { nodes, containers, netns } of containerSizeRows)
    console.log(
      `${`${nodes} nodes`.padEnd(22)}${s(containers.upMs).padStart(12)}${s(netns.upMs).padStart(10)}${ratio(containers.upMs, netns.upMs).padStart(8)}${`${containers.execMs.toFixed(1)} ms`.padStart(13)}${`${netns.execMs.toFixed(1)} ms`.padStart(13)}${ratio(containers.execMs, netns.execMs).padStart(8)}${containers.error ? `  failed: ${containers.error}` : ""}`,
    );
}
if (containerScenarioRows.length) {
  console.log(`\n${"scenario".padEnd(28)}${"containers".padStart(12)}${"netns".padStart(10)}${"ratio".padStart(8)}`);
  for (const [id, containers, netns] of containerScenarioRows)
    console.log(
      `${id.padEnd(28)}${s(containers).padStart(12)}${s(netns).padStart(10)}${ratio(containers, netns).padStart(8)}`,
    );
  const [c, n] = containerScenarioRows.reduce(([a, b], [, x, y]) => [a + x, b + y], [0, 0]);
  console.log(`${"all of them".padEnd(28)}${s(c).padStart(12)}${s(n).padStart(10)}${ratio(c, n).padStart(8)}`);
}
const first = suiteRows[0]?.[1];
if (first) {
  console.log(`\n${"every scenario (auto)".padEnd(28)}${"wall".padStart(10)}${"first/this".padStart(12)}`);
  for (const [label, ms] of suiteRows)
    console.log(`${label.padEnd(28)}${s(ms).padStart(10)}${ratio(first, ms).padStart(12)}`);
}
const one = shardRows[0]?.wallMs;
if (one) {
  console.log(
    `\n${"every scenario in shards".padEnd(28)}${"wall".padStart(10)}${"1 shard/this".padStart(14)}${"merge".padStart(10)}`,
  );
  for (const { shards, wallMs, mergeMs } of shardRows)
    console.log(
      `${`${shards} shard${shards === 1 ? "" : "s"} at once`.padEnd(28)}${s(wallMs).padStart(10)}${ratio(one, wallMs).padStart(14)}${s(mergeMs).padStart(10)}`,
    );
}
