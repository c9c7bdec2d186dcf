import type { CapabilityReport } from "../providers/provider.ts";
import type { KnownIssues } from "../scenario/known-issues.ts";
import type { EngineSummary } from "./engine.ts";

/**
 * What a parallel run tells every job once (over the IPC channel, with structured-clone serialization
 * so the capability reports' sets and maps survive): how to run, and the capabilities the run
 * measured, so a job does not boot a probe kernel again.
 */
export interface JobSetup {
  readonly kind: "setup";
  readonly mode: "run" | "rubric";
  readonly resultsDir: string;
  readonly grep?: string;
  readonly breakControl?: string;
  readonly wait?: boolean;
  /** Reuse a lab its scenario's cleanup proved as it came up (not `--fresh-lab`). */
  readonly reuse: boolean;
  readonly capabilities: readonly CapabilityReport[];
  /** `--retries`: how often a failed check is judged again. */
  readonly retries?: number;
  /** The run's known issues, checked once by the run (a Map: structured clone keeps it). */
  readonly known?: KnownIssues;
}

/** One scenario for the job, with the provider the run chose for it (or why it is skipped). */
export interface JobScenario {
  readonly kind: "scenario";
  readonly file: string;
  readonly provider?: string;
  readonly skipReason?: string;
  /** Scenarios on the same lab still waiting, which the run will offer this job first: keep the lab for them. */
  readonly more: number;
}

/** No more scenarios: the job ends. */
export interface JobStop {
  readonly kind: "stop";
}

export type ToJob = JobSetup | JobScenario | JobStop;

/** The job asks for a scenario: first when it is ready, then with the summary of the one it finished. */
export interface JobReady {
  readonly kind: "ready";
  readonly summary?: EngineSummary;
}

/**
 * A line a job writes on stdout after each scenario, so the run prints that scenario's output as one
 * block rather than interleaved with the other jobs'. Never shown: the run consumes it.
 */
export const SCENARIO_END = "\x1emacvlab-job: scenario end";
