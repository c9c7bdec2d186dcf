import type { ProbeEnv } from "../checks/check-kind.ts";
import { kindOf } from "../checks/registry.ts";
import { holds, type Outcome } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import { type CheckSpec, type Scenario, stageNumbers } from "../scenario/schema.ts";
import { judgeCheck } from "./judge.ts";

export type GradeStatus = "passed" | "failed" | "blocked" | "not-graded";

export interface CheckGrade {
  readonly scenario: string;
  readonly check: string;
  readonly title: string;
  readonly points: number;
  readonly earned: number;
  readonly status: GradeStatus;
  /** The check's stage (1-based), in a scenario with stages. */
  readonly stage?: number;
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

/** A scenario's stages as grading sees them, and how far `grade --stage N` goes. */
export interface StagePlan {
  /** Each check's stage (1-based); empty for a scenario without stages. */
  readonly of: ReadonlyMap<string, number>;
  readonly titles: readonly string[];
  readonly through?: number;
}

export function stagePlan(scenario: Pick<Scenario, "stages">, through?: number): StagePlan {
  return {
    of: stageNumbers(scenario),
    titles: scenario.stages.map((s) => s.title),
    ...(through === undefined ? {} : { through }),
  };
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
  stages: StagePlan = { of: new Map(), titles: [] },
): Promise<CheckGrade> {
  const stage = stages.of.get(check.id);
  const base = {
    scenario: scenarioId,
    check: check.id,
    title: check.title,
    points: check.points,
    earned: 0,
    ...(stage === undefined ? {} : { stage }),
  };
  const notGraded = notGradedReason(check);
  if (notGraded) return { ...base, status: "not-graded", reason: notGraded };
  if (stage !== undefined && stages.through !== undefined && stage > stages.through)
    return {
      ...base,
      status: "not-graded",
      reason: `stage ${stage} (${stages.titles[stage - 1]}): not graded yet (--stage ${stages.through})`,
    };
  const blockers = check.needs.filter((id) => !passed.has(id));
  if (blockers.length) {
    const named = blockers.map((id) => (stages.of.has(id) ? `${id} (stage ${stages.of.get(id)})` : id));
    return { ...base, status: "blocked", hint: check.hint, reason: `blocked by ${named.join(", ")}` };
  }
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
