import type { ProbeEnv } from "../checks/check-kind.ts";
import { type BoundCheck, kindOf } from "../checks/registry.ts";
import { holds, type Outcome } from "../expect/outcome.ts";
import { InfrastructureError } from "../model/errors.ts";
import type { StartedLab } from "../providers/provider.ts";
import type { CheckSpec, StepSpec } from "../scenario/schema.ts";
import type { ShellResult } from "../transport/shell.ts";
import { recordedExec } from "./recorded-exec.ts";
import type { Recorder } from "./recorder.ts";
import { realClock, retryUntil } from "./retry.ts";

/** A lab as the checks see it: commands recorded as steps, setup steps' results by id. */
export function probeEnv(lab: StartedLab, recorder: Recorder, steps: ReadonlyMap<string, ShellResult>): ProbeEnv {
  return {
    exec: (node, command, options) => recordedExec(recorder, lab.node(node), command, options),
    attach: (name, content, contentType) => recorder.attach(name, content, contentType),
    stepResult: (id) => steps.get(id),
    sleep: (ms) => realClock.sleep(ms),
    act: async () => {},
  };
}

/** Runs steps on the lab (a check's `while` change and its undo). */
export type PerformSteps = (title: string, steps: readonly StepSpec[]) => Promise<void>;

export function deadlineOf(check: CheckSpec, bound: BoundCheck = kindOf(check)): number {
  return check.deadline_ms ?? bound.defaultDeadlineMs;
}

/**
 * Runs a check until its deadline: until it holds, or (want "fail") until it does not. A check with a
 * `while` change gets it made once (before probing, or by the kind itself mid-measurement) and undone
 * afterwards whatever happened; without `perform` such a check is refused (grading only looks).
 */
export async function judgeCheck(
  check: CheckSpec,
  env: ProbeEnv,
  want: "hold" | "fail" = "hold",
  perform?: PerformSteps,
): Promise<Outcome> {
  const bound = kindOf(check);
  const context = { checkId: check.id, deadlineMs: deadlineOf(check, bound) };
  const wanted = want === "fail" ? (o: Outcome) => !holds(o) : holds;
  const change = check.while;
  if (change && !perform)
    throw new InfrastructureError(
      `check ${check.id} changes the lab (${change.title}): only \`macvlab run\` judges it`,
    );
  let acted = false;
  const act = async () => {
    if (!change || !perform || acted) return;
    acted = true;
    await perform(`while: ${change.title}`, change.do);
  };
  const undo = async () => {
    if (acted && change && perform) await perform(`undo: ${change.title}`, change.undo);
  };
  let result: Outcome;
  try {
    if (!bound.actsDuringProbe) await act();
    const probing: ProbeEnv = { ...env, act };
    ({ result } = await retryUntil(
      () => bound.probe(probing, context),
      wanted,
      bound.oneShot ? 0 : context.deadlineMs,
    ));
  } catch (error) {
    // The first failure is the story; a failed undo on top of it is told with it, not instead of it.
    await undo().catch((undoError: unknown) => {
      throw new InfrastructureError(
        `check ${check.id}: ${(error as Error).message}\nand undoing "${change?.title}" failed as well: ${(undoError as Error).message}`,
        { cause: error },
      );
    });
    throw error;
  }
  await undo();
  return result;
}
