import { InfrastructureError, InputError } from "../../model/errors.ts";
import { STATE_MARKER } from "../state-marker.ts";
import { CGROUP_PARENT_FILE, CGROUP_PARENT_PATTERN } from "./docker-engine.ts";
import type { LabHost } from "./lab-host.ts";

/** The teardown script's exit code for "this directory is not ours". */
const NOT_OURS = 3;

/**
 * Everything a namespace lab holds: processes in its nodes (sshd, a stray ping, a daemon a scenario
 * started) and the bind mounts that pin its namespaces. Once nothing pins them the kernel frees the
 * namespaces and with them every veth, bridge, macvlan and nested namespace the lab made.
 * A node's Docker engine goes with its node; only the cgroups it made outlive its processes (see below).
 * Processes are found by PID namespace first: every way into a node enters the node's own PID
 * namespace, which nothing started there can leave (`unshare -u`, `setsid`, `ip netns exec` change
 * other namespaces); killing the node's init kills all of it, nested PID namespaces included. Then by
 * UTS namespace, as a second net (`ip netns exec` keeps the node's UTS namespace). A pin counts only
 * if it is a namespace file (nsfs): an empty pin file's inode number could be anyone's namespace.
 * Nothing is done in a directory without our marker, and nothing is unmounted outside it.
 * One shell script, so the same code clears a lab on this host and inside a UML kernel, and works
 * from the state directory alone (a crashed run's leftovers included).
 */
const TEARDOWN = String.raw`
dir=$1
[ -e "$dir" ] || [ -L "$dir" ] || exit 0
if [ -L "$dir" ] || [ ! -d "$dir" ] || [ -L "$dir/${STATE_MARKER}" ] || [ ! -f "$dir/${STATE_MARKER}" ]; then
  echo "refusing to touch $dir: it has no ${STATE_MARKER} marker, so macvlab did not make it (remove it yourself if it is a lab's leftover)" >&2
  exit ${NOT_OURS}
fi
# The pids of every process in one of the lab's namespaces of kind $1, in one pass over /proc: a
# process costs dozens of ptrace round trips in UML, so this is a few processes however big the lab.
pids_in() {
  self=$(stat -L -c %i /proc/self/ns/$1)
  inos=$(find "$dir"/nodes/*/$1 -maxdepth 0 -type f -fstype nsfs -printf '%i\n' 2>/dev/null)
  [ -n "$inos" ] || return 0
  find -L /proc/[0-9]*/ns/$1 -maxdepth 0 -printf '%i %p\n' 2>/dev/null |
    awk -v inos="$inos" -v self="$self" 'BEGIN { n = split(inos, list, "\n"); for (i = 1; i <= n; i++) if (list[i] != self) lab[list[i]] = 1 }
      $1 in lab { split($2, path, "/"); print path[3] }'
}
kill_by_ns() {
  for round in 1 2 3 4 5; do
    pids=$(pids_in $1)
    [ -z "$pids" ] && return 0
    kill -9 $pids 2>/dev/null
    sleep 0.1
  done
}
kill_by_ns pid
kill_by_ns uts
# A node whose pins are no namespace files any more (unmounted or deleted by something outside the
# lab) is still found by its init, whose arguments name the marker and this lab's own fstab: nothing
# else runs with both.
for round in 1 2 3; do
  pids=$(grep -lzxF -- "$dir/fstab" /proc/[0-9]*/cmdline 2>/dev/null | xargs -r grep -lzxF macvlab-node-pid1 2>/dev/null | cut -d/ -f3)
  [ -z "$pids" ] && break
  kill -9 $pids 2>/dev/null
  sleep 0.1
done
# A node's Docker engine put its containers below a cgroup whose random name it wrote down before it
# started: remove that cgroup (now empty) in every hierarchy, and nothing else.
for f in "$dir"/nodes/*/${CGROUP_PARENT_FILE}; do
  [ -f "$f" ] && [ ! -L "$f" ] || continue
  name=$(head -c 64 "$f" | head -n 1)
  printf '%s\n' "$name" | grep -Eq '${CGROUP_PARENT_PATTERN}' || continue
  for base in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts); do
    for round in 1 2 3 4 5; do
      [ -d "$base/$name" ] || break
      find "$base/$name" -depth -type d -exec rmdir {} + 2>/dev/null
      [ -d "$base/$name" ] && sleep 0.1
    done
  done
done
mounted_below() { awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r; }
# One umount for all of them (deepest first), then lazily what is still busy.
IFS='
'
for round in 1 2 3 4 5; do
  mounts=$(mounted_below)
  [ -z "$mounts" ] && break
  umount $mounts 2>/dev/null || umount -l $(mounted_below) 2>/dev/null
done
left=$(mounted_below)
[ -n "$left" ] && { echo "still mounted: $left" >&2; exit 1; }
# The marker goes last: a deletion that fails half way leaves a directory we still recognise.
find "$dir" -mindepth 1 -maxdepth 1 ! -name ${STATE_MARKER} -exec rm -rf -- {} + &&
  rm -f -- "$dir/${STATE_MARKER}" && rmdir -- "$dir"
`;

/** Tears the lab in `dir` down (see TEARDOWN); a directory without our marker is an InputError, left untouched. */
export async function teardown(host: LabHost, dir: string): Promise<void> {
  const result = await host.run(["sh", "-c", TEARDOWN, "macvlab-teardown", dir]);
  if (result.exitCode === NOT_OURS) throw new InputError(result.stderr.trim());
  if (result.exitCode !== 0)
    throw new InfrastructureError(
      `${host.description}: tearing down ${dir} failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
}
