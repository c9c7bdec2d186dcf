import type { Lab } from "../model/lab.ts";
import { notGradedReason } from "../run/grade-check.ts";
import type { CheckSpec, Scenario } from "../scenario/schema.ts";

/** The task sheet: what to achieve and what will be checked, without the commands that achieve it. */
export function taskSheet(scenario: Scenario, lab: Lab): string {
  const total = scenario.checks.filter((c) => !notGradedReason(c)).reduce((n, c) => n + c.points, 0);
  const nics = Object.entries(lab.nodes).map(
    ([node, spec]) =>
      `  ${node}: ${spec.nics.map((n) => `${n.name} on ${n.segment}${n.promiscuous ? " (switch port accepts all MACs)" : ""}`).join(", ")}`,
  );
  return [
    `# ${scenario.title}`,
    "",
    scenario.goal,
    "",
    `Read: ${scenario.source.map((s) => `article ${s.seed}, ${s.section}`).join("; ")}`,
    `Lab: ${lab.name} — ${lab.description ?? ""}`,
    ...nics,
    "",
    `What will be checked (${total} points):`,
    ...(scenario.stages.length ? stagedChecks(scenario) : scenario.checks.filter(graded).map(line)),
    "",
    `Start: macvlab lab up ${lab.name} --for ${scenario.id}   Work: macvlab ssh <node> --lab ${lab.name}   Check: macvlab grade scenarios/${scenario.id}.yaml${scenario.stages.length ? " [--stage N]" : ""}`,
  ].join("\n");
}

const graded = (c: CheckSpec) => !notGradedReason(c);
const line = (c: CheckSpec) => `  [${c.points}] ${c.title}`;

/** The checks part by part, in the order they are graded (`grade --stage N` grades parts 1..N). */
function stagedChecks(scenario: Scenario): string[] {
  const byId = new Map(scenario.checks.map((c) => [c.id, c]));
  return scenario.stages.flatMap((stage, i) => {
    const checks = stage.checks.flatMap((id) => byId.get(id) ?? []).filter(graded);
    const points = checks.reduce((n, c) => n + c.points, 0);
    return [`  Stage ${i + 1}: ${stage.title} (${points} points)`, ...checks.map((c) => `  ${line(c)}`)];
  });
}
