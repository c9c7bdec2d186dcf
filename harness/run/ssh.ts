import { InputError } from "../model/errors.ts";
import { providersFor } from "../providers/registry.ts";
import { SshSession } from "../transport/ssh-session.ts";
import { resolveLab } from "./labs.ts";

/** An interactive shell on a node of a lab that is up, over the same SSH transport the checks use. */
export async function sshInto(nodeName: string, labName: string, providerChoice: string): Promise<number> {
  const lab = resolveLab(labName);
  if (!Object.hasOwn(lab.nodes, nodeName))
    throw new InputError(`lab ${lab.name} has no node "${nodeName}" (nodes: ${Object.keys(lab.nodes).join(", ")})`);
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
