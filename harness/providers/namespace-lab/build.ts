import { InfrastructureError } from "../../model/errors.ts";
import type { Lab } from "../../model/lab.ts";
import { quoteWord } from "../../transport/shell-quote.ts";
import { type LabHost, mustRun } from "./lab-host.ts";
import type { NetnsLayout } from "./layout.ts";
import { inBatches, SCRIPT_BUDGET } from "./script-batches.ts";

/** What the fabric calls each switch port, so evidence and hairpin settings can find it. */
export interface PortMap {
  readonly bridges: Record<string, string>;
  /** `node/nic` → the fabric-side veth name. */
  readonly ports: Record<string, string>;
}

/** What a switch port or bridge may be called (`ip link` names): read back from ports.json, it reaches argv. */
const LINK_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** ports.json as written by the lab's build; anything else in it is refused, not used. */
export function parsePortMap(text: string, source: string): PortMap {
  const refuse = (why: string) => new InfrastructureError(`${source}: not a port map the harness wrote (${why})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw refuse((error as Error).message);
  }
  const names = (field: string): Record<string, string> => {
    const record = (value as Record<string, unknown> | null)?.[field];
    if (typeof record !== "object" || record === null || Array.isArray(record)) throw refuse(`no ${field}`);
    for (const [key, name] of Object.entries(record))
      if (typeof name !== "string" || !LINK_NAME.test(name)) throw refuse(`${field}.${key} = ${JSON.stringify(name)}`);
    return record as Record<string, string>;
  };
  return { bridges: names("bridges"), ports: names("ports") };
}

/**
 * Bridge and switch-port names, decided from the lab alone: a segment's name where it fits `ip link`
 * (15 characters), `seg<i>` where it does not; `n<node>p<nic>` for the fabric end of each NIC.
 */
export function portMapOf(lab: Lab): PortMap {
  const bridges: Record<string, string> = {};
  for (const [i, segment] of Object.keys(lab.segments).entries())
    bridges[segment] = segment.length <= 15 ? segment : `seg${i}`;
  const ports: Record<string, string> = {};
  for (const [n, [node, spec]] of Object.entries(lab.nodes).entries())
    for (const [k, nic] of spec.nics.entries()) ports[`${node}/${nic.name}`] = `n${n}p${k}`;
  return { bridges, ports };
}

/** The nodes' own mounts, for one `mount -a -T`: a private /run, the neutral passwd, their own sysfs and proc. */
export function nodeFstab(layout: NetnsLayout): string {
  return [
    // A private /run: the node's own /run/netns (two nodes may both `ip netns add net1`) and sshd's privsep dir.
    "macvlab-run /run tmpfs mode=0755 0 0",
    `${fstabWord(layout.passwd)} /etc/passwd none bind 0 0`,
    // sysfs shows the network namespace of whoever mounted it: remount so /sys/class/net is the node's.
    "macvlab-sys /sys sysfs defaults 0 0",
    // The node's own /proc: `ps` in a node lists the node.
    "macvlab-proc /proc proc defaults 0 0",
    "",
  ].join("\n");
}

/** fstab escapes whitespace and backslashes octally (\040), as mount reads them back. */
function fstabWord(path: string): string {
  return path.replace(/[\\\s]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/** The switch: a network namespace holding one bridge per segment, all up. */
export async function createFabric(host: LabHost, layout: NetnsLayout, map: PortMap): Promise<void> {
  // No STP and no forward delay: a lab switch forwards as soon as a port comes up.
  const batch = ["link set dev lo up", ...switchBridgeLines(map)];
  const script = [
    'umask 077 && mkdir -p -- "$(dirname -- "$1")" && (set -C && : > "$1") || exit 1',
    `exec unshare --net="$1" ip -b - <<'EOF'`,
    ...batch,
    "EOF",
  ].join("\n");
  await mustRun(host, ["sh", "-c", script, "macvlab-fabric", layout.fabricNet], { what: "making the switch" });
}

/**
 * PID 1 of a node, started in all of the node's new namespaces at once: it names the node, mounts the
 * node's own /run, passwd, sysfs and /proc, makes the node's side of its NICs (veth pairs whose other
 * end goes to the switch, open as fd 3), says "ready", and from then on only reaps: `wait` reaps any
 * child, orphans it adopted included. It never exits by itself: its death ends every process of the
 * node, which is how teardown ends them. Few processes on purpose: each costs dearly in a UML kernel.
 */
const NODE_PID1 = `
echo "$1" > /proc/sys/kernel/hostname || exit 1
mount -a -T "$2" || exit 1
mkdir /run/netns /run/sshd || exit 1
exec 3<"$3" || exit 1
ip -b - <<EOF || exit 1
$4
EOF
exec 3<&-
echo ready
exec </dev/null >/dev/null 2>&1
while :; do sleep 2147483647 & wait; done`;

/**
 * One node: its namespace pins (created exclusively: noclobber), then its PID 1 detached (setsid -f:
 * it must outlive this script), waiting for its first line. unshare bind-mounts the pins from the
 * host's mount namespace; PID 1's output goes to `head` only, so this returns as soon as it is ready
 * (or has failed, with its error as the line).
 */
const NODE_UP = String.raw`
node_up() {
  nd="$state/nodes/$1"
  for kind in net uts mnt pid; do : > "$nd/$kind" || return 1; done
  line=$(setsid -f unshare --net="$nd/net" --uts="$nd/uts" --mount="$nd/mnt" --pid="$nd/pid" --fork --propagation private \
    sh -c "$pid1" macvlab-node-pid1 "$1" "$state/fstab" "$state/fabric/net" "$2" </dev/null 2>&1 | head -n 1)
  [ "$line" = ready ] || { echo "node $1: its init did not start: $line" >&2; return 1; }
}`;

/**
 * The node's side of the lab, as `ip -b` lines run in the node's network namespace with the switch's
 * namespace open as fd 3: loopback up, and each NIC a veth named and MAC-addressed as the lab says, up.
 */
export function nodeBatch(lab: Lab, node: string, n: number, map: PortMap): string {
  const lines = ["link set dev lo up"];
  for (const [k, nic] of (lab.nodes[node]?.nics ?? []).entries()) {
    const mac = nic.mac ?? `02:6d:76:6c:${hex(n)}:${hex(k)}`;
    const port = map.ports[`${node}/${nic.name}`];
    lines.push(`link add name ${nic.name} address ${mac} up type veth peer name ${port} netns /proc/self/fd/3`);
  }
  return lines.join("\n");
}

/**
 * Every node, started side by side by one script per batch of nodes, then every switch port in one
 * `ip -b` in the fabric. The nodes' fstab must be written first (see nodeFstab).
 */
export async function startNodes(host: LabHost, layout: NetnsLayout, lab: Lab, map: PortMap): Promise<void> {
  const prelude = ["set -u", `state=${quoteWord(layout.dir)}`, `pid1=${quoteWord(NODE_PID1)}`, NODE_UP, "set -C"];
  const nodes = Object.keys(lab.nodes).map((node, n) => ({
    name: node,
    dir: quoteWord(layout.nodeDir(node)),
    call: `node_up ${quoteWord(node)} ${quoteWord(nodeBatch(lab, node, n, map))} &\npids="$pids $!"`,
  }));
  const budget = SCRIPT_BUDGET - prelude.join("\n").length;
  for (const batch of inBatches(nodes, (node) => node.call.length + node.dir.length, budget)) {
    const script = [
      ...prelude,
      `(umask 077 && mkdir -p -- ${batch.map((node) => node.dir).join(" ")}) || exit 1`,
      'pids=""',
      ...batch.map((node) => node.call),
      'failed=0\nfor p in $pids; do wait "$p" || failed=1; done\nexit $failed',
    ].join("\n");
    const names = batch.length > 1 ? `${batch[0]?.name} … ${batch.at(-1)?.name}` : batch[0]?.name;
    await mustRun(host, ["sh", "-c", script], {
      what: `starting nodes ${names}`,
      timeoutMs: 30_000 + 2_000 * batch.length,
    });
  }
  await plugPorts(host, layout, lab, map);
}

/** The fabric's end of every NIC: named after its node and NIC (alias), into its segment's bridge, up. */
async function plugPorts(host: LabHost, layout: NetnsLayout, lab: Lab, map: PortMap): Promise<void> {
  const lines = switchPortLines(lab, map);
  if (lines.length === 0) return;
  const script = `exec nsenter --net="$1" ip -b - <<'EOF'\n${lines.join("\n")}\nEOF`;
  await mustRun(host, ["sh", "-c", script, "macvlab-ports", layout.fabricNet], {
    what: "plugging the switch ports",
    timeoutMs: 30_000 + 100 * lines.length,
  });
}

/** `ip -b` lines, run in the switch's namespace, that plug every NIC's fabric end into its segment's bridge. */
export function switchPortLines(lab: Lab, map: PortMap): string[] {
  const lines: string[] = [];
  for (const [node, spec] of Object.entries(lab.nodes))
    for (const nic of spec.nics) {
      const port = map.ports[`${node}/${nic.name}`];
      const bridge = map.bridges[nic.segment];
      // The lab loader refuses a NIC on a segment the lab does not declare.
      if (!port || !bridge) throw new InfrastructureError(`lab ${lab.name}: no switch port for ${node}/${nic.name}`);
      lines.push(`link set dev ${port} alias ${node}/${nic.name}`, `link set dev ${port} master ${bridge} up`);
      // The lab's "promiscuous" is the hypervisor's side (VirtualBox allow-all): the switch port. Inside
      // the node, `promisc on` is the articles' own step, left to the scenario (or the student).
      if (nic.promiscuous) lines.push(`link set dev ${port} promisc on`);
    }
  return lines;
}

/** `ip -b` lines that make the switch: one bridge per segment, no STP and no forward delay, all up. */
export function switchBridgeLines(map: PortMap): string[] {
  return Object.values(map.bridges).flatMap((bridge) => [
    `link add name ${bridge} type bridge stp_state 0 forward_delay 0`,
    `link set dev ${bridge} up`,
  ]);
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}
