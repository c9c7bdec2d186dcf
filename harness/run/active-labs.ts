import type { StartedLab } from "../providers/provider.ts";

/** Labs up right now, so an interrupted run (Ctrl-C, SIGTERM) can bring every one of them down. */
const active = new Set<StartedLab>();

export function track(lab: StartedLab): StartedLab {
  active.add(lab);
  return lab;
}

export function untrack(lab: StartedLab): void {
  active.delete(lab);
}

export async function downAll(): Promise<string[]> {
  const labs = [...active];
  active.clear();
  const results = await Promise.allSettled(labs.map((lab) => lab.down()));
  return results.map(
    (r, i) =>
      `${labs[i]!.lab.name}: ${r.status === "fulfilled" ? "taken down" : `teardown failed: ${(r.reason as Error).message}`}`,
  );
}
