import type { ProbeEnv } from "../checks/check-kind.ts";
import { type BoundCheck, kindOf } from "../checks/registry.ts";
import { holds, type Outcome } from "../expect/outcome.ts";
import type { StartedLab } from "../providers/provider.ts";
import type { CheckSpec } from "../scenario/schema.ts";
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
  };
}

export function deadlineOf(check: CheckSpec, bound: BoundCheck = kindOf(check)): number {
  return check.deadline_ms ?? bound.defaultDeadlineMs;
}

/** Runs a check until its deadline: until it holds, or (want "fail") until it does not. */
export async function judgeCheck(check: CheckSpec, env: ProbeEnv, want: "hold" | "fail" = "hold"): Promise<Outcome> {
  const bound = kindOf(check);
  const context = { checkId: check.id, deadlineMs: deadlineOf(check, bound) };
  const wanted = want === "fail" ? (o: Outcome) => !holds(o) : holds;
  const { result } = await retryUntil(() => bound.probe(env, context), wanted, bound.oneShot ? 0 : context.deadlineMs);
  return result;
}
