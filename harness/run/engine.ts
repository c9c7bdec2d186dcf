import Mocha from "mocha";
import type { ClaimRow } from "./claims.ts";
import { interruption } from "./interrupt.ts";
import { prepareOutputDir } from "./output-dir.ts";
import type { ScenarioPlan } from "./plan.ts";
import type { Recorder } from "./recorder.ts";
import { addRubricSuite } from "./rubric-suite.ts";
import { addScenarioSuite, type SuiteOptions } from "./scenario-suite.ts";

export interface EngineSummary {
  readonly failures: number;
  readonly passes: number;
  readonly skipped: number;
  /** Every check's claim beside what was measured, in the order the checks ran. */
  readonly claims: readonly ClaimRow[];
}

export const NO_RESULTS: EngineSummary = { failures: 0, passes: 0, skipped: 0, claims: [] };

/** Two parts of a run as one (jobs, scenarios one after another). */
export function addSummaries(a: EngineSummary, b: EngineSummary): EngineSummary {
  return {
    failures: a.failures + b.failures,
    passes: a.passes + b.passes,
    skipped: a.skipped + b.skipped,
    claims: [...a.claims, ...b.claims],
  };
}

/** How a run is reported: the mocha reporter that writes results, the recorder tests use, the closing files. */
export interface Reporting {
  readonly recorder: Recorder;
  mochaReporter(resultsDir: string): { readonly reporter: string; readonly reporterOptions: Record<string, unknown> };
  /** Run-level facts (providers, kernels, capabilities) written beside the results once the run ends. */
  finish(resultsDir: string, environment: Record<string, string>): void;
}

export interface EngineOptions extends Omit<SuiteOptions, "recorder"> {
  readonly resultsDir: string;
  readonly grep?: string;
  readonly reporting: Reporting;
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
  options.reporting.finish(options.resultsDir, runEnvironment(plans, options.mode ?? "run"));
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
  for (const plan of plans) {
    if (options.mode === "rubric") addRubricSuite(mocha.suite, plan, recorder);
    else addScenarioSuite(mocha.suite, plan, { ...options, recorder, onClaim: (row) => claims.push(row) });
  }
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
      });
    });
  });
}
