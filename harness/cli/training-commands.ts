import { InputError } from "../model/errors.ts";
import type { Scenario } from "../model/scenario.ts";
import type { Lab } from "../model/lab.ts";
import { providersFor } from "../providers/registry.ts";
import { SshSession } from "../transport/ssh-session.ts";
import { resolveLab } from "./lab-commands.ts";
import { loadScenarios } from "./load-scenarios.ts";

/** The task sheet: what to achieve and what will be checked, without the commands that achieve it. */
export function taskSheet(scenario: Scenario, lab: Lab): string {
  const total = scenario.checks.filter((c) => !c.step).reduce((n, c) => n + c.points, 0);
  const nics = Object.entries(lab.nodes).map(([node, spec]) => `  ${node}: ${spec.nics.map((n) => `${n.name} on ${n.segment}${n.promiscuous ? " (switch port accepts all MACs)" : ""}`).join(", ")}`);
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
    ...scenario.checks.filter((c) => !c.step).map((c) => `  [${c.points}] ${c.title}`),
    "",
    `Start: macvlab lab up ${lab.name}   Work: macvlab ssh <node> --lab ${lab.name}   Check: macvlab grade scenarios/${scenario.id}.yaml`,
  ].join("\n");
}

export function taskFor(nameOrFile: string): string {
  const file = nameOrFile.endsWith(".yaml") ? nameOrFile : `${nameOrFile}.yaml`;
  const found = loadScenarios([]).find(({ scenario }) => scenario.id === nameOrFile || scenario.file.endsWith(`/${file}`));
  if (!found) throw new InputError(`no scenario "${nameOrFile}" (see \`macvlab list\`)`);
  return taskSheet(found.scenario, found.lab);
}

/** An interactive shell on a node of a lab that is up, over the same SSH transport the checks use. */
export async function sshInto(nodeName: string, labName: string, providerChoice: string): Promise<number> {
  const lab = resolveLab(labName);
  if (!(nodeName in lab.nodes)) throw new InputError(`lab ${lab.name} has no node "${nodeName}" (nodes: ${Object.keys(lab.nodes).join(", ")})`);
  for (const provider of providersFor(providerChoice)) {
    if (!provider.attach || !(await provider.list()).includes(lab.name)) continue;
    const started = await provider.attach(lab);
    try {
      const shell = started.node(nodeName).shell;
      if (!(shell instanceof SshSession)) throw new InputError(`provider ${provider.name} offers no interactive shell`);
      return await shell.interactive({ stdin: process.stdin, stdout: process.stdout });
    } finally {
      await started.down();
    }
  }
  throw new InputError(`lab ${lab.name} is not up: start it with \`macvlab lab up ${lab.name}\``);
}
