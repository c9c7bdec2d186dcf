import type { ProbeEnv } from "../checks/check-kind.ts";
import { kindOf } from "../checks/registry.ts";
import { holds, type Outcome } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import type { CheckSpec } from "../scenario/schema.ts";
import { judgeCheck } from "./judge.ts";

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

/** Why grading leaves a check out: it judges the harness's own setup, or it would change the lab. */
export function notGradedReason(check: CheckSpec): string | undefined {
  if (!kindOf(check).graded) return "reads the outcome of the harness's own setup step";
  if (check.while)
    return `changes the lab while it measures (${check.while.title}): \`macvlab run\` measures it, grading only looks`;
  return undefined;
}

/**
 * One check as a student's grade: passed, failed (with expected vs seen and the hint), blocked by a
 * check it needs, or not graded (a kind that judges the harness's own setup). A check whose command
 * fails on the node (the namespace it looks into does not exist) is the student's lab: a failure with
 * the reason. Anything else (a lost connection, a broken lab) is thrown: it is not the student's doing.
 */
export async function gradeCheck(
  scenarioId: string,
  check: CheckSpec,
  env: ProbeEnv,
  passed: ReadonlySet<string>,
): Promise<CheckGrade> {
  const base = { scenario: scenarioId, check: check.id, title: check.title, points: check.points, earned: 0 };
  const notGraded = notGradedReason(check);
  if (notGraded) return { ...base, status: "not-graded", reason: notGraded };
  const blockers = check.needs.filter((id) => !passed.has(id));
  if (blockers.length)
    return { ...base, status: "blocked", hint: check.hint, reason: `blocked by ${blockers.join(", ")}` };
  try {
    const outcome = await judgeCheck(check, env);
    const seen = { expected: outcome.expected, actual: outcome.actual, outcome };
    if (holds(outcome)) return { ...base, earned: check.points, status: "passed", ...seen };
    return { ...base, status: "failed", hint: check.hint, ...seen };
  } catch (error) {
    if (!(error instanceof CheckCommandError)) throw error;
    return { ...base, status: "failed", hint: check.hint, reason: `could not run: ${error.message.split("\n")[0]}` };
  }
}
