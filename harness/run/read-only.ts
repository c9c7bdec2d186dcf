import { kindOf } from "../checks/registry.ts";
import { InputError } from "../model/errors.ts";
import type { CheckSpec, Scenario } from "../scenario/schema.ts";
import { deadlineOf } from "./judge.ts";

/**
 * The commands a check would run that are not among its kind's declared inspectors. Grading refuses a
 * scenario with any, before it touches a node: a student's lab is only ever looked at.
 */
export function writingCommands(check: CheckSpec): Array<{ node: string; command: string }> {
  const bound = kindOf(check);
  return bound
    .commands({ checkId: check.id, deadlineMs: deadlineOf(check, bound) })
    .filter(({ command }) => !bound.readOnly.some((pattern) => pattern.test(command)));
}

export function assertChecksReadOnly(scenario: Scenario): void {
  const offending = scenario.checks.flatMap((check) =>
    writingCommands(check).map(({ node, command }) => `check ${check.id} would run on ${node}: ${command}`),
  );
  if (offending.length) throw new InputError(`${scenario.file}: checks must only inspect the lab`, offending);
}
