import { InfrastructureError } from "../../model/errors.ts";
import type { Lab } from "../../model/lab.ts";
import { type LabHost, mustRun } from "./lab-host.ts";
import type { NetnsLayout, NodeNamespace } from "./layout.ts";

/** What the fabric calls each switch port, so evidence and hairpin settings can find it. */
export interface PortMap {
  readonly bridges: Record<string, string>;
  /** `node/nic` → the fabric-side veth name. */
  readonly ports: Record<string, string>;
}

const NODE_INIT = [
  "set -e",
  'hostname "$1"',
  // A private /run: the node's own /run/netns (two nodes may both `ip netns add net1`) and sshd's privsep dir.
  "mount -t tmpfs -o mode=0755 macvlab-run /run",
  "mkdir -p /run/netns /run/sshd",
  'mount --bind "$2" /etc/passwd',
  // sysfs shows the network namespace of whoever mounted it: remount so /sys/class/net is the node's.
  "mount -t sysfs macvlab-sys /sys",
  "ip link set dev lo up",
].join("\n");

/** A passwd whose root shell is /bin/sh: commands must not run through the host user's dotfiles. */
export function neutralPasswd(passwd: string): string {
  return passwd
    .split("\n")
    .map((line) => (line.startsWith("root:") ? line.replace(/:[^:]*$/, ":/bin/sh") : line))
    .join("\n");
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

export async function createFabric(host: LabHost, layout: NetnsLayout, lab: Lab): Promise<PortMap> {
  await host.writeFile(layout.fabricNet, "");
  await mustRun(host, ["unshare", `--net=${layout.fabricNet}`, "ip", "link", "set", "dev", "lo", "up"]);
  const fabric = layout.enterFabric();
  const bridges: Record<string, string> = {};
  for (const [i, segment] of Object.keys(lab.segments).entries()) {
    const bridge = segment.length <= 15 ? segment : `seg${i}`;
    bridges[segment] = bridge;
    // No STP and no forward delay: a lab switch forwards as soon as a port comes up.
    await mustRun(host, [
      ...fabric,
      "ip",
      "link",
      "add",
      "name",
      bridge,
      "type",
      "bridge",
      "stp_state",
      "0",
      "forward_delay",
      "0",
    ]);
    await mustRun(host, [...fabric, "ip", "link", "set", "dev", bridge, "up"]);
  }
  return { bridges, ports: {} };
}

/**
 * PID 1 of a node's PID namespace, in the node's other namespaces. It mounts the node's own /proc
 * (so `ps` in a node lists the node), says "ready", and from then on only reaps: `wait` reaps any
 * child, orphans it adopted included. It never exits by itself: its death ends every process of
 * the node, which is how teardown ends them.
 */
const NODE_PID1 = [
  "mount -t proc macvlab-proc /proc || exit 1",
  "echo ready",
  "exec </dev/null >/dev/null 2>&1",
  "while :; do sleep 2147483647 & wait; done",
].join("\n");

/**
 * Starts PID 1 detached (setsid -f: it must outlive this command) and waits for its first line.
 * `unshare --pid=PIN` pins the namespace from the host's mount namespace; nsenter then takes the
 * child into the node. Init's output goes to `head` only, never to this command's own stdout, so
 * the command returns as soon as init is ready (or has failed, with its error as the line).
 */
const START_PID1 = `
line=$(setsid -f unshare --pid="$1" --fork nsenter --net="$2" --uts="$3" --mount="$4" -- sh -c "$5" macvlab-node-pid1 </dev/null 2>&1 | head -n 1)
[ "$line" = ready ] || { echo "the node's init did not start: $line" >&2; exit 1; }
`;

export async function createNode(host: LabHost, layout: NetnsLayout, node: string): Promise<void> {
  const pin = (kind: NodeNamespace) => layout.nodeNs(node, kind);
  for (const kind of ["net", "uts", "mnt", "pid"] as const) await host.writeFile(pin(kind), "");
  await mustRun(host, [
    "unshare",
    `--net=${pin("net")}`,
    `--uts=${pin("uts")}`,
    `--mount=${pin("mnt")}`,
    "--propagation",
    "private",
    "sh",
    "-c",
    NODE_INIT,
    "macvlab-node-init",
    node,
    layout.passwd,
  ]);
  await mustRun(host, [
    "sh",
    "-c",
    START_PID1,
    "macvlab-node-start",
    pin("pid"),
    pin("net"),
    pin("uts"),
    pin("mnt"),
    NODE_PID1,
  ]);
}

/** A veth pair per NIC: the lab's name (and MAC) inside the node, the other end a port of the segment's bridge. */
export async function plugNics(host: LabHost, layout: NetnsLayout, lab: Lab, map: PortMap): Promise<void> {
  const fabric = layout.enterFabric();
  for (const [n, [node, spec]] of Object.entries(lab.nodes).entries()) {
    const enter = layout.enter(node);
    for (const [k, nic] of spec.nics.entries()) {
      const port = `n${n}p${k}`;
      const bridge = map.bridges[nic.segment];
      // The lab loader refuses a NIC on a segment the lab does not declare.
      if (!bridge) throw new InfrastructureError(`lab ${lab.name}: no bridge for segment ${nic.segment}`);
      const mac = nic.mac ?? `02:6d:76:6c:${hex(n)}:${hex(k)}`;
      await mustRun(host, [
        ...enter,
        "ip",
        "link",
        "add",
        "name",
        nic.name,
        "address",
        mac,
        "type",
        "veth",
        "peer",
        "name",
        port,
        "netns",
        layout.fabricNet,
      ]);
      await mustRun(host, [...fabric, "ip", "link", "set", "dev", port, "alias", `${node}/${nic.name}`]);
      await mustRun(host, [...fabric, "ip", "link", "set", "dev", port, "master", bridge, "up"]);
      await mustRun(host, [...enter, "ip", "link", "set", "dev", nic.name, "up"]);
      // The lab's "promiscuous" is the hypervisor's side (VirtualBox allow-all): the switch port. Inside
      // the node, `promisc on` is the articles' own step, left to the scenario (or the student).
      if (nic.promiscuous) await mustRun(host, [...fabric, "ip", "link", "set", "dev", port, "promisc", "on"]);
      map.ports[`${node}/${nic.name}`] = port;
    }
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}
