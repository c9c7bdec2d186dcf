import { InputError } from "../model/errors.ts";
import { providersFor } from "../providers/registry.ts";
import { isInteractive } from "../transport/shell.ts";
import { attachTracked, downTracked } from "./active-labs.ts";
import { interruptible } from "./interrupt.ts";
import { lockLab } from "./lab-lock.ts";
import { resolveLab } from "./labs.ts";

/**
 * An interactive shell on a node of a lab that is up, over the same transport the checks use (SSH;
 * the engine's exec on containers).
 * The lab is locked shared meanwhile (a run or `down` of it waits or fails); a signal disconnects.
 */
export function sshInto(nodeName: string, labName: string, providerChoice: string): Promise<number> {
  return interruptible(() => shellOn(nodeName, labName, providerChoice));
}

async function shellOn(nodeName: string, labName: string, providerChoice: string): Promise<number> {
  const lab = resolveLab(labName);
  if (!Object.hasOwn(lab.nodes, nodeName))
    throw new InputError(`lab ${lab.name} has no node "${nodeName}" (nodes: ${Object.keys(lab.nodes).join(", ")})`);
  for (const provider of providersFor(providerChoice)) {
    if (!provider.attach || !(await provider.list()).includes(lab.name)) continue;
    const lock = await lockLab({ provider: provider.name, lab: lab.name, mode: "shared" });
    try {
      const started = await attachTracked(provider, lab);
      try {
        const shell = started.node(nodeName).shell;
        if (!isInteractive(shell)) throw new InputError(`provider ${provider.name} offers no interactive shell`);
        return await shell.interactive({ stdin: process.stdin, stdout: process.stdout });
      } finally {
        await downTracked(started);
      }
    } finally {
      await lock.release();
    }
  }
  throw new InputError(`lab ${lab.name} is not up: start it with \`macvlab lab up ${lab.name}\``);
}
