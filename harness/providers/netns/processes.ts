import { readdirSync, statSync } from "node:fs";

/** Inode of a namespace file (a bind-mounted nsfs file or /proc/PID/ns/X). */
export function nsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * Processes living in a node: same UTS namespace as the node. `ip netns exec` changes net and mount
 * namespaces but keeps UTS, so this also finds what runs in the node's own nested namespaces.
 */
export function pidsInUts(utsInode: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    if (nsInode(`/proc/${entry}/ns/uts`) === utsInode) pids.push(Number(entry));
  }
  return pids;
}

export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
