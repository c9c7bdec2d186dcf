import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { InfrastructureError, InputError } from "../model/errors.ts";
import { CLI_ENTRY, imageCacheDir, jobStateRoot } from "../model/paths.ts";
import type { CapabilityReport } from "../providers/provider.ts";
import { type KnownIssues, NO_KNOWN_ISSUES } from "../scenario/known-issues.ts";
import { settledBeforeExit } from "./active-labs.ts";
import { addSummaries, type EngineSummary, NO_RESULTS, type Reporting, runEnvironment } from "./engine.ts";
import { interruption, receivedSignal } from "./interrupt.ts";
import { type JobReady, SCENARIO_END, type ToJob } from "./job-protocol.ts";
import { prepareOutputDir } from "./output-dir.ts";
import type { ScenarioPlan } from "./plan.ts";
import { progressShown } from "./progress.ts";

export interface JobsOptions {
  readonly mode: "run" | "rubric";
  readonly resultsDir: string;
  readonly reporting: Reporting;
  readonly grep?: string;
  readonly breakControl?: string;
  readonly wait?: boolean;
  readonly freshLab?: boolean;
  readonly retries?: number;
  readonly known?: KnownIssues;
}

/** A scenario's output larger than this is printed as it comes rather than held back for its block. */
const HELD_OUTPUT_BYTES = 1024 * 1024;

/**
 * Runs plans `jobs` at a time, one `macvlab job` process per job, each with a state root of its own
 * (`<root>/jobs/<n>`, so two jobs may build the same lab), all writing into one results directory.
 * A job that is free takes the next plan in `queue` order. Each scenario's output is printed as one
 * block when it ends; a job's stderr (progress, teardown lines) as it comes, marked with the job.
 * A signal stops the hand-out and is passed on to every job, which takes its own lab down; the run
 * waits for them. A job that cannot run a scenario (a busy lab: exit 2) fails the run once the
 * others have finished.
 */
export async function runJobs(
  plans: readonly ScenarioPlan[],
  queue: readonly ScenarioPlan[],
  jobs: number,
  options: JobsOptions,
): Promise<EngineSummary> {
  prepareOutputDir(options.resultsDir, "--results");
  const capabilities = [
    ...new Map(
      plans.flatMap((p) => (p.capabilities ? ([[p.capabilities.provider, p.capabilities]] as const) : [])),
    ).values(),
  ];
  const waiting = [...queue];
  const outcomes = await Promise.all(
    Array.from({ length: jobs }, (_, index) => runJob(index + 1, jobs, waiting, capabilities, options)),
  );
  const summary = outcomes.reduce((sum, o) => addSummaries(sum, o.summary), NO_RESULTS);
  options.reporting.finish(
    options.resultsDir,
    { ...runEnvironment(plans, options.mode), jobs: String(jobs) },
    summary,
    options.known ?? NO_KNOWN_ISSUES,
  );
  const failed = outcomes.filter((o) => o.failure);
  if (failed.length) {
    const lines = failed.map((o) => `job ${o.label}: ${o.failure}`).join("; ");
    throw failed.every((o) => o.code === 2) ? new InputError(lines) : new InfrastructureError(lines);
  }
  return summary;
}

interface JobOutcome {
  readonly label: string;
  readonly summary: EngineSummary;
  readonly code: number | null;
  /** Why the job ended before the run told it to stop. */
  readonly failure?: string;
}

function runJob(
  index: number,
  count: number,
  waiting: ScenarioPlan[],
  capabilities: readonly CapabilityReport[],
  options: JobsOptions,
): Promise<JobOutcome> {
  const label = `${index}/${count}`;
  const child = spawn(process.execPath, [CLI_ENTRY, "job"], {
    // Its own process group: a Ctrl-C at the terminal reaches this process alone, which passes it on
    // once; a job that got it twice would give up its teardown.
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced",
    env: {
      ...process.env,
      MACVLAB_STATE_DIR: jobStateRoot(index),
      // One image cache for the whole run, not one per job.
      MACVLAB_IMAGE_CACHE: imageCacheDir(),
      MACVLAB_PROGRESS: progressShown() ? "1" : "0",
    },
  });
  let summary = NO_RESULTS;
  let current: ScenarioPlan | undefined;
  let stopped = false;
  const tell = (message: ToJob) => {
    if (child.connected) child.send(message);
  };
  child.on("message", (message: JobReady) => {
    if (message.summary) summary = addSummaries(summary, message.summary);
    else
      tell({
        kind: "setup",
        mode: options.mode,
        resultsDir: options.resultsDir,
        grep: options.grep,
        breakControl: options.breakControl,
        wait: options.wait,
        reuse: !options.freshLab,
        capabilities,
        retries: options.retries,
        known: options.known,
      });
    const previous = current;
    current = interruption.aborted ? undefined : takeNext(waiting, previous);
    if (current)
      tell({
        kind: "scenario",
        file: current.scenario.file,
        provider: current.provider?.name,
        skipReason: current.skipReason,
        more: waiting.filter((p) => sameLab(p, current)).length,
      });
    else {
      stopped = true;
      tell({ kind: "stop" });
    }
  });
  const exited = new Promise<JobOutcome>((resolve) => {
    child.on("error", (error) => resolve({ label, summary, code: null, failure: `could not start: ${error.message}` }));
    child.on("close", (code, signal) => {
      const ended = signal ? `killed by ${signal}` : `exited ${code}`;
      const failure =
        stopped && code !== null && code <= 1
          ? undefined
          : `${ended}${current ? ` while running ${current.scenario.id}` : stopped ? " after its last scenario" : " before its first scenario"}`;
      resolve({ label, summary, code, failure });
    });
  });
  const forward = () => {
    const signal = receivedSignal() ?? "SIGTERM";
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  interruption.addEventListener("abort", forward, { once: true });
  if (child.stdout) printInBlocks(child.stdout, (text) => process.stdout.write(text));
  if (child.stderr) printMarked(child.stderr, `[job ${label}] `);
  return settledBeforeExit("jobs", `job ${label}`, exited).finally(() =>
    interruption.removeEventListener("abort", forward),
  );
}

/** A job takes the next scenario on the lab it just used (it may have kept that lab), else the next in line. */
export function takeNext(waiting: ScenarioPlan[], previous: ScenarioPlan | undefined): ScenarioPlan | undefined {
  const onSameLab = previous ? waiting.findIndex((p) => sameLab(p, previous)) : -1;
  return waiting.splice(Math.max(onSameLab, 0), 1)[0];
}

function sameLab(a: ScenarioPlan, b: ScenarioPlan | undefined): boolean {
  return Boolean(
    b &&
      a.provider &&
      !a.skipReason &&
      a.provider.name === b.provider?.name &&
      !b.skipReason &&
      a.lab.name === b.lab.name,
  );
}

/** Holds a job's stdout until each scenario ends, then prints it whole; whatever is left at the end, too. */
export function printInBlocks(stream: Readable, write: (text: string) => void): void {
  let held = "";
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines)
      if (line === SCENARIO_END) {
        write(held);
        held = "";
      } else held += `${line}\n`;
    if (held.length + partial.length > HELD_OUTPUT_BYTES) {
      write(held + partial);
      held = "";
      partial = "";
    }
  });
  stream.on("end", () => write(held + partial));
}

/** Passes a job's stderr on a line at a time, each marked with the job. */
function printMarked(stream: Readable, mark: string): void {
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    // A line that never ends is passed on in pieces rather than held.
    while (partial.length > HELD_OUTPUT_BYTES) {
      lines.push(partial.slice(0, HELD_OUTPUT_BYTES));
      partial = partial.slice(HELD_OUTPUT_BYTES);
    }
    for (const line of lines) process.stderr.write(`${mark}${line}\n`);
  });
  stream.on("end", () => void (partial && process.stderr.write(`${mark}${partial}\n`)));
}
