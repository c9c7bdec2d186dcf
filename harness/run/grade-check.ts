import type { CheckSpec, Scenario } from "../model/scenario.ts";
import { MacvlabError } from "../model/errors.ts";
import { holds, type Outcome } from "../expect/index.ts";
import type { ProbeContext } from "./check-probe.ts";
import { defaultDeadlineMs, probeCheck } from "./check-probe.ts";
import { retryUntil } from "./retry.ts";

export type GradeStatus = "passed" | "failed" | "blocked" | "not-graded";

export interface CheckGrade {
  readonly scenario: string;
  readonly check: string;
  readonly title: string;
  readonly points: number;
  readonly earned: number;
  readonly status: GradeStatus;
  readonly expected?: string;
  readonly actual?: string;
  readonly hint?: string;
  /** Why it failed without a verdict (could not run), or what blocked it. */
  readonly reason?: string;
  readonly outcome?: Outcome;
}

/** Runs a check until its deadline: until it holds, or (want "fail") until it does not. */
export async function judgeCheck(check: CheckSpec, ctx: ProbeContext, want: "hold" | "fail" = "hold"): Promise<Outcome> {
  const deadline = defaultDeadlineMs(check);
  // An unreachable ping spends its whole deadline in one probe; step and capture checks run once.
  const oneShot = check.step !== undefined || check.capture !== undefined || check.ping?.expect === "unreachable";
  const wanted = want === "fail" ? (o: Outcome) => !holds(o) : holds;
  const { result } = await retryUntil(() => probeCheck(check, ctx, deadline), wanted, oneShot ? 0 : deadline);
  return result;
}

/**
 * One check as a student's grade: passed, failed (with expected vs seen and the hint), blocked by a
 * check it needs, or not graded (a `step` check reads how the harness's own setup went). A check that
 * cannot even run (the namespace it looks into does not exist) is a failure with the reason.
 */
export async function gradeCheck(scenario: Scenario, check: CheckSpec, ctx: ProbeContext, passed: ReadonlySet<string>): Promise<CheckGrade> {
  const base = { scenario: scenario.id, check: check.id, title: check.title, points: check.points, earned: 0 };
  if (check.step) return { ...base, status: "not-graded", reason: "reads the outcome of the harness's own setup step" };
  const blockers = check.needs.filter((id) => !passed.has(id));
  if (blockers.length) return { ...base, status: "blocked", hint: check.hint, reason: `blocked by ${blockers.join(", ")}` };
  try {
    const outcome = await judgeCheck(check, ctx);
    if (holds(outcome)) return { ...base, earned: check.points, status: "passed", expected: outcome.expected, actual: outcome.actual, outcome };
    return { ...base, status: "failed", expected: outcome.expected, actual: outcome.actual, hint: check.hint, outcome };
  } catch (error) {
    // A command that failed or printed nonsense is the student's lab; a lost connection is ours.
    if (!(error instanceof MacvlabError) || error.kind !== "infrastructure" || /SSH (connection lost|session closed|connect failed)/.test(error.message)) throw error;
    return { ...base, status: "failed", hint: check.hint, reason: `could not run: ${error.message.split("\n")[0]}` };
  }
}
