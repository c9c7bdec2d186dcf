import type { StepCheckSpec, SysctlCheckSpec } from "../model/scenario.ts";
import type { Outcome } from "./outcome.ts";

export function expectSysctl(spec: SysctlCheckSpec, value: string, where: string): Outcome {
  return { subject: `${where}: ${spec.key}`, expected: `${spec.key} = ${spec.value}`, actual: `${spec.key} = ${value.trim()}`, detail: "" };
}

export interface StepOutcome {
  readonly command: string;
  readonly exitCode?: number;
  readonly stderr: string;
}

/** How a setup step the documents expect to fail really ended: exit status and the quoted error text. */
export function expectStep(spec: StepCheckSpec, step: StepOutcome | undefined): Outcome {
  const subject = `setup step ${spec.id}`;
  const exit = (code: number | undefined) => (typeof spec.exit === "number" ? `exit ${code ?? "none"}` : code === 0 ? "exit zero" : "exit nonzero");
  const expected = [typeof spec.exit === "number" ? `exit ${spec.exit}` : `exit ${spec.exit}`, spec.stderr ? `stderr contains "${spec.stderr}"` : ""].filter(Boolean).join(", ");
  if (!step) return { subject, expected, actual: "step did not run", detail: "" };
  const firstLine = step.stderr.trim().split("\n")[0] ?? "";
  const stderrFacet = spec.stderr ? (step.stderr.includes(spec.stderr) ? `stderr contains "${spec.stderr}"` : `stderr "${firstLine}"`) : "";
  return { subject, expected, actual: [exit(step.exitCode), stderrFacet].filter(Boolean).join(", "), detail: `${step.command} → ${firstLine}` };
}
