import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { NetnsLayout } from "./layout.ts";
import { unmountAll } from "./mounts.ts";
import { killAll, nsInode, pidsInUts } from "./processes.ts";

/**
 * Everything a netns lab holds: processes in its nodes (sshd, a stray ping, a daemon a scenario started),
 * then the bind mounts that pin its namespaces. Once nothing pins them the kernel frees the namespaces
 * and with them every veth, bridge, macvlan and nested namespace the lab made. Works from the state
 * directory alone, so it also clears a crashed run.
 */
export async function teardown(layout: NetnsLayout): Promise<string[]> {
  const nodesDir = join(layout.dir, "nodes");
  const nodes = existsSync(nodesDir) ? readdirSync(nodesDir) : [];
  for (let round = 0; round < 3; round++) {
    const pids = nodes.flatMap((node) => {
      const uts = nsInode(layout.nodeNs(node, "uts"));
      return uts === undefined || uts === nsInode("/proc/self/ns/uts") ? [] : pidsInUts(uts);
    });
    if (pids.length === 0) break;
    killAll(pids);
    await new Promise((r) => setTimeout(r, 100));
  }
  return unmountAll(layout.dir);
}
