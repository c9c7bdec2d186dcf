import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { Id } from "../model/names.ts";
import { type CheckKindModule, defineCheckKind, type StepOutcome } from "./check-kind.ts";

/** Asserts on how a setup step ended: exit status and the error text the documents quote. */
const StepSpec = z.strictObject({
  id: Id,
  exit: z.union([z.enum(["zero", "nonzero"]), z.number().int().min(0).max(255)]).default("nonzero"),
  stderr: z.string().optional(),
});
export type StepCheckSpec = z.output<typeof StepSpec>;

/** How a setup step the documents expect to fail really ended: exit status and the quoted error text. */
export function judgeStep(spec: StepCheckSpec, step: StepOutcome | undefined): Outcome {
  const subject = `setup step ${spec.id}`;
  const exit = (code: number | undefined) =>
    typeof spec.exit === "number" ? `exit ${code ?? "none"}` : code === 0 ? "exit zero" : "exit nonzero";
  const expected = [`exit ${spec.exit}`, spec.stderr ? `stderr contains "${spec.stderr}"` : ""]
    .filter(Boolean)
    .join(", ");
  if (!step) return { subject, expected, actual: "step did not run", detail: "" };
  const firstLine = step.stderr.trim().replace(/\n.*/s, "");
  const stderrFacet = spec.stderr
    ? step.stderr.includes(spec.stderr)
      ? `stderr contains "${spec.stderr}"`
      : `stderr "${firstLine}"`
    : "";
  const actual = [exit(step.exitCode), stderrFacet].filter(Boolean).join(", ");
  return { subject, expected, actual, detail: `${step.command} → ${firstLine}` };
}

/** How a setup step the documents expect to fail ended (a second passthru child: EINVAL). */
export const step: CheckKindModule<StepCheckSpec> = defineCheckKind({
  schema: StepSpec,
  summary: "how a setup step with `expect_failure` ended: `exit` status and `stderr` text",
  example: { id: "second-passthru-child", exit: "nonzero", stderr: "Invalid argument" },
  nodeRefs: () => [],
  stepRefs: (spec) => [{ stepId: spec.id, path: ["id"] }],
  places: () => [],
  // It runs nothing: it reads the recorded result of the harness's own setup step.
  commands: () => [],
  readOnly: [],
  defaultDeadlineMs: () => 0,
  oneShot: () => true,
  graded: false,
  probe: async (spec, env) => judgeStep(spec, env.stepResult(spec.id)),
});
