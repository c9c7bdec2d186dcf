import { readFileSync } from "node:fs";
import { hostExec, hostRun } from "../host-exec.ts";

/** Mount points at or below `dir`, deepest first (the order they must be unmounted in). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(prefix)))
    .reverse();
}

/**
 * Namespace files can only be bind-mounted on a private mount, and a private mount keeps the lab's
 * mounts out of the host's shared propagation: bind the state dir onto itself, then make it private.
 */
export async function makePrivateMount(dir: string): Promise<void> {
  await hostRun(["mount", "--bind", dir, dir]);
  await hostRun(["mount", "--make-private", dir]);
}

export async function unmountAll(dir: string): Promise<string[]> {
  const problems: string[] = [];
  // A mount can be stacked (a crashed run bound the dir twice): loop until nothing is left.
  for (let round = 0; round < 5; round++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return problems;
    for (const mount of mounts) {
      const result = await hostExec(["umount", mount]);
      if (result.exitCode !== 0) {
        const lazy = await hostExec(["umount", "--lazy", mount]);
        if (lazy.exitCode !== 0) problems.push(`umount ${mount}: ${lazy.stderr.trim()}`);
      }
    }
  }
  return [...problems, ...mountsUnder(dir).map((m) => `still mounted: ${m}`)];
}
