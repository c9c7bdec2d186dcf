import type { LabHost } from "./lab-host.ts";
import { mustRun } from "./lab-host.ts";

/**
 * Everything a namespace lab holds: processes in its nodes (sshd, a stray ping, a daemon a scenario
 * started) and the bind mounts that pin its namespaces. Once nothing pins them the kernel frees the
 * namespaces and with them every veth, bridge, macvlan and nested namespace the lab made.
 * Processes are found by UTS namespace: `ip netns exec` changes a process's net and mount namespaces
 * but keeps UTS, so this also finds what runs in a node's own nested namespaces.
 * One shell script, so the same code clears a lab on this host and inside a UML kernel, and works
 * from the state directory alone (a crashed run's leftovers included).
 */
const TEARDOWN = String.raw`
dir=$1
self=$(stat -L -c %i /proc/self/ns/uts)
for round in 1 2 3; do
  pids=""
  for f in "$dir"/nodes/*/uts; do
    [ -e "$f" ] || continue
    ino=$(stat -L -c %i "$f")
    [ "$ino" = "$self" ] && continue
    pids="$pids $(find -L /proc/[0-9]*/ns/uts -maxdepth 0 -inum "$ino" 2>/dev/null | cut -d/ -f3 | tr '\n' ' ')"
  done
  [ -z "$(echo $pids)" ] && break
  kill -9 $pids 2>/dev/null
  sleep 0.1
done
for round in 1 2 3 4 5; do
  mounts=$(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
  [ -z "$mounts" ] && break
  for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
done
left=$(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts)
[ -n "$left" ] && { echo "still mounted: $left" >&2; exit 1; }
rm -rf "$dir"
`;

export async function teardown(host: LabHost, dir: string): Promise<void> {
  await mustRun(host, ["sh", "-c", TEARDOWN, "macvlab-teardown", dir]);
}

/**
 * Namespace files can only be bind-mounted on a private mount, and a private mount keeps the lab's
 * mounts out of the host's shared propagation: bind the state dir onto itself, then make it private.
 */
export async function prepareStateDir(host: LabHost, dir: string): Promise<void> {
  await mustRun(host, ["mkdir", "-p", dir]);
  await mustRun(host, ["mount", "--bind", dir, dir]);
  await mustRun(host, ["mount", "--make-private", dir]);
}
