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
  return Promise.all(
    labs.map(async (lab) => {
      const result = await lab.down().then(
        () => "taken down",
        (error: Error) => `teardown failed: ${error.message}`,
      );
      return `${lab.lab.name}: ${result}`;
    }),
  );
}
