import { InputError } from "../model/errors.ts";
import type { Lab } from "../model/lab.ts";
import { DEFAULT_RESULTS_DIR, HISTORY_TIMINGS, KNOWN_ISSUES_FILE, writableStateRoot } from "../model/paths.ts";
import { providersFor } from "../providers/registry.ts";
import { knownIssuesFor } from "../scenario/known-issues.ts";
import { loadScenarios } from "../scenario/load-all.ts";
import type { Scenario } from "../scenario/schema.ts";
import { settledBeforeExit } from "./active-labs.ts";
import { type EngineSummary, type Reporting, runSuites } from "./engine.ts";
import { interruptible } from "./interrupt.ts";
import { defaultJobs, dispatchOrder, estimatedCost, jobCount } from "./job-plan.ts";
import { runJobs } from "./job-pool.ts";
import { lockLabs, releaseLocks } from "./lab-lock.ts";
import { LabPool } from "./lab-pool.ts";
import { checkOutputDir } from "./output-dir.ts";
import { type Candidate, planScenario, type ScenarioPlan } from "./plan.ts";
import { assertChecksReadOnly } from "./read-only.ts";
import { type Shard, shardOf } from "./shard.ts";
import { readTimings, shardItems, type Timings } from "./timings.ts";

export interface RunOptions {
  readonly files: readonly string[];
  readonly provider: string;
  readonly reporting: Reporting;
  readonly grep?: string;
  readonly breakControl?: string;
  readonly resultsDir?: string;
  /** Fail instead of skipping when a scenario cannot run (CI: "every scenario executed"). */
  readonly forbidSkips?: boolean;
  /** "rubric": validate the scenarios' checks themselves instead of running them (see rubric-suite.ts). */
  readonly mode?: "run" | "rubric";
  /** A lab another process holds: wait for it instead of failing with exit 2. */
  readonly wait?: boolean;
  /**
   * Scenarios at once, each job on lab instances of its own (`--jobs`); 1 runs them in turn in this
   * process. Unset: `defaultJobs()`, or 1 when a scenario runs on vagrant (a VM per node each).
   */
  readonly jobs?: number;
  /** A fresh lab for every scenario (`--fresh-lab`), instead of reusing one its cleanup proved as it came up. */
  readonly freshLab?: boolean;
  /** Only this machine's part of the scenarios (`--shard i/n`). */
  readonly shard?: Shard;
  /** Scenario durations to balance shards by (`--timings`); default: the history's. */
  readonly timingsFile?: string;
  /** How often a failed check is judged again (`--retries`); one that passes then is flaky. */
  readonly retries?: number;
  /** Known failures (`--known-issues`); default: known-issues.yaml when it exists. */
  readonly knownIssuesFile?: string;
}

/** A shard's scenarios as `--list` prints them: id, file, and the weight the split used (ms, or estimated). */
export interface ListedScenario {
  readonly id: string;
  readonly file: string;
  readonly weightMs: number;
  readonly timed: boolean;
}

/** The scenarios a run (or one shard of it) would run, in order, without touching a lab. */
export function listScenarios(options: Pick<RunOptions, "files" | "shard" | "timingsFile">): ListedScenario[] {
  const timings = readTimings(options.timingsFile ?? HISTORY_TIMINGS);
  const all = loadScenarios(options.files);
  const weights = new Map(shardItems(all, timings).map((item) => [item.key, item.weight]));
  return chooseShard(all, options.shard, timings).map(({ scenario }) => ({
    id: scenario.id,
    file: scenario.file,
    weightMs: Math.round(weights.get(scenario.id) ?? 0),
    timed: timings[scenario.id] !== undefined,
  }));
}

/** The loaded scenarios of one shard (all of them without one), in the order they were given. */
function chooseShard<T extends { scenario: Scenario; lab: Lab }>(
  loaded: readonly T[],
  shard: Shard | undefined,
  timings: Timings,
): T[] {
  if (!shard) return [...loaded];
  const mine = new Set(shardOf(shardItems(loaded, timings), shard).map((item) => item.key));
  return loaded.filter(({ scenario }) => mine.has(scenario.id));
}

export interface RunSummary extends EngineSummary {
  readonly plans: readonly ScenarioPlan[];
}

/** The installed providers to choose from, in order of speed; a named provider that is missing is bad input. */
export async function candidatesFor(choice: string): Promise<Candidate[]> {
  const candidates: Candidate[] = [];
  for (const provider of providersFor(choice)) {
    const missing = await provider.missingRequirements();
    if (missing.length === 0)
      candidates.push({
        provider,
        capabilities: () => settledBeforeExit(provider.name, "capability probe", provider.capabilities()),
      });
    else if (choice !== "auto") {
      const lines = missing.map((m) => `  missing ${m.what}: ${m.install}`).join("\n");
      throw new InputError(`provider ${provider.name} cannot run here:\n${lines}\n(see \`macvlab doctor\`)`);
    }
  }
  return candidates;
}

/**
 * Loads, plans (a provider per scenario, or a skip with the reason) and runs scenarios, or their
 * rubrics. Every lab the run will build is locked for the whole run, before the first `up` and until
 * after the last `down`: a lab another process holds is exit 2 at once (or a wait, with `wait`).
 */
export function runScenarios(options: RunOptions): Promise<RunSummary> {
  return interruptible(() => planAndRun(options));
}

async function planAndRun(options: RunOptions): Promise<RunSummary> {
  const resultsDir = checkOutputDir(options.resultsDir ?? DEFAULT_RESULTS_DIR, "--results");
  const all = loadScenarios(options.files);
  // Every shard must see the same list: the known issues name checks of the whole suite.
  const known = knownIssuesFor(
    options.knownIssuesFile,
    KNOWN_ISSUES_FILE,
    all.map((l) => l.scenario),
  );
  const loaded = chooseShard(all, options.shard, readTimings(options.timingsFile ?? HISTORY_TIMINGS));
  writableStateRoot();
  const { breakControl } = options;
  if (breakControl && !loaded.some(({ scenario }) => scenario.negative_controls.some((c) => c.id === breakControl)))
    throw new InputError(`--break ${breakControl}: no negative control with that id in the chosen scenarios`);
  const candidates = await candidatesFor(options.provider);
  const plans: ScenarioPlan[] = [];
  for (const { scenario, lab } of loaded)
    plans.push({ ...(await planScenario(scenario, lab, candidates)), breakControl });
  const skipped = plans.filter((p) => p.skipReason);
  if (options.forbidSkips && skipped.length)
    throw new InputError(
      `skips are forbidden here, but:\n${skipped.map((p) => `  ${p.scenario.id}: ${p.skipReason}`).join("\n")}`,
    );
  const mode = options.mode ?? "run";
  if (mode === "rubric") for (const { scenario } of loaded) assertChecksReadOnly(scenario);
  const cost = (plan: ScenarioPlan) => estimatedCost(plan, mode);
  const onVms = plans.some((p) => p.provider?.oneLabAtATime && !p.skipReason);
  const jobs = jobCount(plans, options.jobs ?? (onVms ? 1 : defaultJobs()), cost);
  if (jobs > 1) {
    const summary = await runJobs(plans, dispatchOrder(plans, cost), jobs, { ...options, mode, resultsDir, known });
    return { ...summary, plans };
  }
  const used = plans.flatMap((p) =>
    p.provider && !p.skipReason ? [{ provider: p.provider.name, lab: p.lab.name }] : [],
  );
  const locks = await lockLabs(used, "exclusive", options.wait);
  const pool = new LabPool(!options.freshLab);
  for (const { provider, lab } of used)
    pool.want(provider, lab, used.filter((u) => u.provider === provider && u.lab === lab).length);
  try {
    const summary = await runSuites(plans, {
      resultsDir,
      grep: options.grep,
      mode,
      reporting: options.reporting,
      pool,
      retries: options.retries,
      known,
    });
    return { ...summary, plans };
  } finally {
    try {
      await pool.drain();
    } finally {
      await releaseLocks(locks);
    }
  }
}
