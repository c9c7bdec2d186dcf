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
  // One script: in a UML kernel every round trip and every process is dear.
  await mustRun(host, [
    "sh",
    "-c",
    'umask 077 && mkdir -p -- "$1" && mkdir -- "$2" && (set -C && printf %s "$4" > "$3") && mount --bind "$2" "$2" && mount --make-private "$2"',
    "macvlab-state-dir",
    dirname(dir),
    dir,
    layout.marker,
    markerText(dir, facts),
  ]);
}
