import { availableParallelism, totalmem } from "node:os";
import { InputError } from "../model/errors.ts";
import { quoteName } from "../model/names.ts";
import type { ScenarioPlan } from "./plan.ts";

/**
 * What one parallel job costs the machine at most: a UML kernel (its memory setting) and the node
 * processes, or a handful of namespaces and sshds. The memory cap keeps a small VM from swapping.
 */
const MEMORY_PER_JOB_BYTES = 1024 ** 3;

/**
 * `--jobs auto`: two jobs per CPU, as many as memory allows. A job spends its time waiting — on ping
 * deadlines, retries, UML's ptrace round trips — not computing. Measured here (2 CPUs, every
 * scenario on auto, one run each): one after another 360 s, 2 jobs 158 s, 3 jobs 119 s, 4 jobs 92 s
 * with all 231 checks passing, the failover and capture windows included.
 */
export function defaultJobs(): number {
  return Math.max(1, Math.min(2 * availableParallelism(), Math.floor(totalmem() / MEMORY_PER_JOB_BYTES)));
}

/** `--jobs N` or `auto`; anything else is bad input naming the flag. */
export function parseJobs(value: string): number {
  if (value === "auto") return defaultJobs();
  if (!/^[1-9][0-9]{0,2}$/.test(value))
    throw new InputError(`--jobs ${quoteName(value)}: give a whole number from 1 to 999, or auto`);
  return Number(value);
}

/**
 * A scenario's expected cost, in arbitrary units, from its shape alone: node count (lab build),
 * checks, and the negative controls the mode runs. Only the order of costs matters: the costliest
 * scenarios are handed out first, so no long one starts last.
 */
export function estimatedCost(plan: ScenarioPlan, mode: "run" | "rubric"): number {
  if (plan.skipReason || !plan.provider) return 0;
  const { scenario } = plan;
  const nodes = Object.keys(plan.lab.nodes).length;
  const checks = scenario.checks.length;
  const flips = scenario.negative_controls.reduce((sum, control) => sum + control.flips.length, 0);
  // A rubric grades every check on a bare lab, after setup, and after each mistake.
  const judged = mode === "rubric" ? (2 + scenario.negative_controls.length) * checks : checks + 2 * flips;
  return plan.provider.commandCost * (judged + 5 * nodes);
}

/**
 * How many jobs a run of these plans gets: at most `jobs`, and never more than there are plans that
 * cost something (a skip needs no job of its own). One means: run them in turn, in this process.
 */
export function jobCount<T>(plans: readonly T[], jobs: number, cost: (plan: T) => number): number {
  return Math.max(1, Math.min(jobs, plans.filter((plan) => cost(plan) > 0).length));
}

/** The order jobs take plans in: costliest first (longest-processing-time first), ties in the given order. */
export function dispatchOrder<T>(plans: readonly T[], cost: (plan: T) => number): T[] {
  return plans
    .map((plan, index) => ({ plan, index, cost: cost(plan) }))
    .sort((a, b) => b.cost - a.cost || a.index - b.index)
    .map((entry) => entry.plan);
}
