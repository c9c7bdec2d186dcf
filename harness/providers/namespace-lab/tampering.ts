import { InfrastructureError } from "../../model/errors.ts";
import type { LabHost } from "./lab-host.ts";
import { NetnsLayout } from "./layout.ts";
import { nodePasswdNow } from "./node-passwd.ts";

/**
 * Where the tools a check runs come from (binaries, their libraries, the loader's configuration). A
 * node shares them with the host it is built on; a mount over any of them inside a node is how a
 * student who is root there makes `ping` say what they like (a bind-mounted script that prints a
 * reply), so it voids the grade. Everything else a node mounts (its /run, /proc, /sys, passwd, a
 * Docker engine's directories, `ip netns add`) is the lab's own business.
 */
export const TOOL_PATHS = [
  "/",
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/etc/ld.so.cache",
  "/etc/ld.so.preload",
  // sshd runs /etc/ssh/sshrc (if there is one) before every command, with the command's stdout.
  "/etc/ssh",
];

/** A mount right on these replaces everything below them (the tool paths, /etc/ssh) at once. */
const COVERING_PATHS = ["/etc"];

/**
 * The file sshd runs before every command of a session, whatever PermitUserRC says (that one only
 * governs ~/.ssh/rc), its output going where the command's goes: a student's sshrc can print a
 * perfect ping reply ahead of the real one.
 */
const SSHRC = "/etc/ssh/sshrc";

/**
 * For each node of the lab in `dir`: the mount points of its mount namespace, read from the host
 * through a process that is in it (/proc/PID/mountinfo: nothing runs inside the node, so nothing
 * there can answer for it), beside the host's own. Lines: `node NAME`, then its mount points; then
 * `host`, then the host's.
 */
const MOUNTS = String.raw`
dir=$1
for nd in "$dir"/nodes/*/; do
  node=$(basename "$nd")
  ino=$(find "$nd/mnt" -maxdepth 0 -type f -fstype nsfs -printf '%i\n' 2>/dev/null)
  [ -n "$ino" ] || { echo "node $node"; echo "?"; continue; }
  pid=$(find -L /proc/[0-9]*/ns/mnt -maxdepth 0 -inum "$ino" 2>/dev/null | head -n 1 | cut -d/ -f3)
  echo "node $node"
  [ -n "$pid" ] && awk '{ print $5 }' "/proc/$pid/mountinfo" || echo "?"
  # What sshd in the node would find there (the node's mounts included).
  [ -n "$pid" ] && [ -e "/proc/$pid/root${SSHRC}" ] && echo "!sshrc"
done
echo host
awk '{ print $5 }' /proc/self/mountinfo
# The tools' own files on this host against their Debian packages (checksums; config files aside).
if command -v dpkg >/dev/null; then
  echo changed
  dpkg --verify iputils-ping iproute2 tcpdump iptables procps 2>/dev/null | awk '$1 ~ /5/ && $2 != "c" { print $NF }'
fi`;

/** A mount point over a tool path, or below one, or over a directory holding them. */
function isToolMount(point: string): boolean {
  if (COVERING_PATHS.includes(point)) return true;
  return TOOL_PATHS.some((path) => path !== "/" && (point === path || point.startsWith(`${path}/`)));
}

/**
 * What a student did to the tools the checks run in the lab in `dir`: each finding names the node and
 * the mount, or the host's tool that no longer matches its package. Empty when nothing was found. A node whose namespace cannot be read is a finding too: the
 * grader cannot vouch for it.
 */
export async function tamperFindings(host: LabHost, dir: string): Promise<string[]> {
  const result = await host.run(["sh", "-c", MOUNTS, "macvlab-tamper", dir], { timeoutMs: 30_000 });
  if (result.exitCode !== 0)
    throw new InfrastructureError(`${host.description}: reading the nodes' mounts failed: ${result.stderr.trim()}`);
  const nodes = new Map<string, string[]>();
  let current: string[] = [];
  const hostMounts = new Set<string>();
  const changed: string[] = [];
  let section: "node" | "host" | "changed" = "node";
  for (const line of result.stdout.split("\n")) {
    if (line.startsWith("node ")) {
      current = [];
      nodes.set(line.slice(5), current);
    } else if (line === "host" || line === "changed") section = line;
    else if (!line) continue;
    else if (section === "node") current.push(line);
    else if (section === "host") hostMounts.add(line);
    else changed.push(line);
  }
  const findings: string[] = [];
  for (const [node, points] of nodes) {
    if (points.includes("?")) {
      findings.push(`${node}: its mount namespace cannot be read (is the node running?)`);
      continue;
    }
    for (const point of points) {
      if (point === "!sshrc")
        findings.push(`${node}: ${SSHRC} exists there: sshd runs it before every command the grader sends`);
      else if (isToolMount(point) && !hostMounts.has(point))
        findings.push(`${node}: ${point} is mounted over inside the node (the checks' tools come from there)`);
    }
  }
  for (const path of changed)
    findings.push(`this host's ${path} differs from its Debian package (dpkg --verify): the checks run it`);
  const passwd = await nodePasswdNow(host, new NetnsLayout(dir));
  if (passwd.seen !== undefined && passwd.seen !== passwd.expected)
    findings.push(
      "the nodes' passwd in the lab's state dir was changed: root's shell there runs every command the grader sends",
    );
  return findings;
}
