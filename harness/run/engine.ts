import Mocha from "mocha";
import { type KnownIssues, NO_KNOWN_ISSUES } from "../scenario/known-issues.ts";
import { type ClaimRow, recordClaim } from "./claims.ts";
import { interruption } from "./interrupt.ts";
import { prepareOutputDir } from "./output-dir.ts";
import type { ScenarioPlan } from "./plan.ts";
import type { Recorder } from "./recorder.ts";
import { addRubricSuite } from "./rubric-suite.ts";
import { addScenarioSuite, caseIdOf, type SuiteOptions } from "./scenario-suite.ts";

export interface EngineSummary {
  readonly failures: number;
  readonly passes: number;
  readonly skipped: number;
  /** Every check's claim beside what was measured, in the order the checks ran. */
  readonly claims: readonly ClaimRow[];
  /** Checks (testCaseIds) that failed and then passed when judged again: flaky, never a plain pass. */
  readonly flaky: readonly string[];
  /** Failed checks the known-issues file lists: reported as known, not counted against the run. */
  readonly knownFailures: readonly string[];
  /** Checks the known-issues file lists that passed: the entry can go. */
  readonly knownPassing: readonly string[];
  /** Each scenario's wall time in ms, lab up to lab down. */
  readonly durations: Readonly<Record<string, number>>;
}

export const NO_RESULTS: EngineSummary = {
  failures: 0,
  passes: 0,
  skipped: 0,
  claims: [],
  flaky: [],
  knownFailures: [],
  knownPassing: [],
  durations: {},
};

/** Two parts of a run as one (jobs, scenarios one after another). */
export function addSummaries(a: EngineSummary, b: EngineSummary): EngineSummary {
  return {
    failures: a.failures + b.failures,
    passes: a.passes + b.passes,
    skipped: a.skipped + b.skipped,
    claims: [...a.claims, ...b.claims],
    flaky: [...a.flaky, ...b.flaky],
    knownFailures: [...a.knownFailures, ...b.knownFailures],
    knownPassing: [...a.knownPassing, ...b.knownPassing],
    durations: { ...a.durations, ...b.durations },
  };
}

/** Failures that count: those no known issue explains. */
export function unexplainedFailures(summary: EngineSummary): number {
  return summary.failures - summary.knownFailures.length;
}

/** How a run is reported: the mocha reporter that writes results, the recorder tests use, the closing files. */
export interface Reporting {
  readonly recorder: Recorder;
  mochaReporter(resultsDir: string): { readonly reporter: string; readonly reporterOptions: Record<string, unknown> };
  /**
   * Once the run ends: run-level facts (providers, kernels, capabilities) beside the results, the
   * scenarios' timings, and the flaky and known-issue marks on the checks' results.
   */
  finish(resultsDir: string, environment: Record<string, string>, summary: EngineSummary, known: KnownIssues): void;
}

export interface EngineOptions extends Omit<SuiteOptions, "recorder"> {
  readonly resultsDir: string;
  readonly grep?: string;
  readonly reporting: Reporting;
  readonly known?: KnownIssues;
}

/** The facts about a run that go beside its results: mode, providers, kernels, capabilities, node. */
export function runEnvironment(plans: readonly ScenarioPlan[], mode: string): Record<string, string> {
  const used = [
    ...new Map(
      plans.flatMap((p) => (p.provider && p.capabilities ? ([[p.provider.name, p.capabilities]] as const) : [])),
    ).values(),
  ];
  return {
    mode,
    providers: used.map((c) => c.provider).join(", ") || "none",
    kernels: used.map((c) => `${c.provider}: ${c.kernel}`).join("; ") || "none",
    capabilities: used.map((c) => `${c.provider}: ${[...c.has].join(" ")}`).join("; ") || "none",
    node: process.version,
    scenarios: plans.map((p) => p.scenario.id).join(", "),
  };
}

/**
 * Runs scenario suites through mocha with the given reporting, into a results directory it prepares
 * first and describes last. A signal (see interrupt.ts, which the caller installs) stops mocha after
 * the test in progress while the handler takes the labs down.
 */
export async function runSuites(plans: readonly ScenarioPlan[], options: EngineOptions): Promise<EngineSummary> {
  prepareOutputDir(options.resultsDir, "--results");
  const summary = await runMocha(plans, options);
  options.reporting.finish(
    options.resultsDir,
    runEnvironment(plans, options.mode ?? "run"),
    summary,
    options.known ?? NO_KNOWN_ISSUES,
  );
  return summary;
}

/**
 * The mocha run alone, into a results directory someone else prepared (a job of a parallel run adds
 * its results beside the other jobs').
 */
export async function runMocha(plans: readonly ScenarioPlan[], options: EngineOptions): Promise<EngineSummary> {
  const { recorder } = options.reporting;
  const mocha = new Mocha({
    ...options.reporting.mochaReporter(options.resultsDir),
    ...(options.grep ? { grep: options.grep } : {}),
  });
  const claims: ClaimRow[] = [];
  const durations: Record<string, number> = {};
  const onClaim = (row: ClaimRow) => recordClaim(claims, row);
  const onDuration = (scenarioId: string, ms: number) => {
    durations[scenarioId] = ms;
  };
  for (const plan of plans) {
    if (options.mode === "rubric") addRubricSuite(mocha.suite, plan, recorder);
    else addScenarioSuite(mocha.suite, plan, { ...options, recorder, onClaim, onDuration });
  }
  const known = options.known ?? NO_KNOWN_ISSUES;
  const flaky: string[] = [];
  const knownFailures: string[] = [];
  const knownPassing: string[] = [];
  return new Promise<EngineSummary>((resolve) => {
    let runner: Mocha.Runner | undefined;
    const stop = () => runner?.abort();
    interruption.addEventListener("abort", stop, { once: true });
    runner = mocha.run(() => {
      interruption.removeEventListener("abort", stop);
      resolve({
        failures: runner?.stats?.failures ?? 0,
        passes: runner?.stats?.passes ?? 0,
        skipped: runner?.stats?.pending ?? 0,
        claims,
        flaky,
        knownFailures,
        knownPassing,
        durations,
      });
    });
    runner.on("pass", (test) => {
      const id = caseIdOf(test);
      if (id === undefined) return;
      if (retryOf(test) > 0) flaky.push(id);
      if (known.has(id)) knownPassing.push(id);
    });
    runner.on("fail", (test) => {
      const id = caseIdOf(test);
      if (id !== undefined && known.has(id)) knownFailures.push(id);
    });
  });
}

/** Which attempt this was (0: the first); mocha keeps it on the test, typed as protected. */
function retryOf(test: Mocha.Runnable): number {
  return (test as unknown as { currentRetry(): number }).currentRetry();
}
