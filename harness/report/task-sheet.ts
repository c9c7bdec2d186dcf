import type { Lab } from "../model/lab.ts";
import { notGradedReason } from "../run/grade-check.ts";
import type { Scenario } from "../scenario/schema.ts";

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
    ...scenario.checks.filter((c) => !notGradedReason(c)).map((c) => `  [${c.points}] ${c.title}`),
    "",
    `Start: macvlab lab up ${lab.name}   Work: macvlab ssh <node> --lab ${lab.name}   Check: macvlab grade scenarios/${scenario.id}.yaml`,
  ].join("\n");
}
