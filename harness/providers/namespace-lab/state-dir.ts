import { dirname } from "node:path";
import { markerText } from "../state-marker.ts";
import { type LabHost, mustRun } from "./lab-host.ts";
import type { NetnsLayout } from "./layout.ts";

/**
 * Creates the lab's state dir, new and 0700 (parents 0700 where they are new), and marks it as ours
 * before anything else exists in it. Then binds it onto itself and makes that mount private:
 * namespace files can only be bind-mounted on a private mount, and a private mount keeps the lab's
 * mounts out of the host's shared propagation.
 */
export async function prepareStateDir(
  host: LabHost,
  layout: NetnsLayout,
  facts: { provider: string; lab: string },
): Promise<void> {
  const { dir } = layout;
  await mustRun(host, [
    "sh",
    "-c",
    'umask 077 && mkdir -p -- "$1" && mkdir -- "$2"',
    "macvlab-mkdir",
    dirname(dir),
    dir,
  ]);
  await host.writeFile(layout.marker, markerText(dir, facts), { mode: 0o600 });
  await mustRun(host, ["mount", "--bind", dir, dir]);
  await mustRun(host, ["mount", "--make-private", dir]);
}
