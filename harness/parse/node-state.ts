import { z } from "zod";
import { parseJson } from "./json.ts";
import { ParseError } from "./parse-error.ts";

/**
 * What a scenario may change on a node and must put back in its cleanup, in a form two snapshots can
 * be compared in: links (kind, mode or VLAN id, flags, MAC, MTU, master), addresses, IPv4 routes of
 * every table, network namespaces, the forwarding and ARP sysctls, iptables rules and policies, and a
 * node's own Docker engine's containers, networks and images.
 * Left out on purpose: what moves by itself (counters, carrier, ifindex, timers, learned neighbours).
 */
export interface NodeState {
  readonly links: Readonly<Record<string, string>>;
  readonly addresses: readonly string[];
  readonly routes: readonly string[];
  readonly namespaces: readonly string[];
  readonly sysctls: Readonly<Record<string, string>>;
  readonly iptables: readonly string[];
  /** `container NAME IMAGE`, `network NAME DRIVER`, `image REPO:TAG`: empty on a node without an engine. */
  readonly docker: readonly string[];
}

/** Forwarding and neighbour-discovery switches the articles and their cleanups touch. */
export const STATE_SYSCTLS = [
  "net/ipv4/ip_forward",
  "net/ipv4/conf/all/forwarding",
  "net/ipv4/conf/all/rp_filter",
  "net/ipv4/conf/default/rp_filter",
  "net/ipv4/conf/all/proxy_arp",
  "net/ipv4/conf/all/arp_ignore",
  "net/ipv4/conf/all/arp_announce",
  "net/ipv6/conf/all/forwarding",
] as const;

const SECTION = "@@macvlab-state ";

/** One command per node (on uml every process costs ptrace round trips): every section, marked. */
export const NODE_STATE_SCRIPT = [
  `echo '${SECTION}links'; ip -j -d link show`,
  `echo '${SECTION}addresses'; ip -j addr show`,
  `echo '${SECTION}routes'; ip -j route show table all`,
  `echo '${SECTION}namespaces'; ip netns list 2>/dev/null`,
  `echo '${SECTION}sysctls'; for key in ${STATE_SYSCTLS.join(" ")}; do printf '%s=%s\\n' "$key" "$(cat /proc/sys/$key 2>/dev/null)"; done`,
  `echo '${SECTION}iptables'; iptables-save 2>/dev/null; true`,
  // A node's own engine answers on its private /run (see docker-engine.ts); other nodes have no socket there.
  `echo '${SECTION}docker'; if [ -S /run/docker.sock ]; then docker ps -a --format 'container {{.Names}} {{.Image}}'; docker network ls --format 'network {{.Name}} {{.Driver}}'; docker image ls --format 'image {{.Repository}}:{{.Tag}}'; fi; true`,
].join("; ");

const linkSchema = z.array(
  z.looseObject({
    ifname: z.string(),
    flags: z.array(z.string()),
    mtu: z.number(),
    address: z.string().optional(),
    master: z.string().optional(),
    linkinfo: z
      .looseObject({
        info_kind: z.string().optional(),
        info_data: z.looseObject({ mode: z.string().optional(), id: z.number().optional() }).optional(),
      })
      .optional(),
  }),
);
const addressSchema = z.array(
  z.looseObject({
    ifname: z.string(),
    addr_info: z.array(
      z.looseObject({ family: z.string(), local: z.string(), prefixlen: z.number(), scope: z.string().optional() }),
    ),
  }),
);
const routeSchema = z.array(
  z.looseObject({
    dst: z.string(),
    type: z.string().optional(),
    gateway: z.string().optional(),
    dev: z.string().optional(),
    table: z.string().optional(),
    protocol: z.string().optional(),
    scope: z.string().optional(),
    prefsrc: z.string().optional(),
    metric: z.number().optional(),
  }),
);

/** Carrier comes and goes with the far end (a pulled cable, a peer down): not the node's own state. */
const MOVING_FLAGS = new Set(["LOWER_UP", "M-DOWN", "NO-CARRIER", "DORMANT"]);

export function parseNodeState(output: string): NodeState {
  const sections = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split("\n")) {
    if (line.startsWith(SECTION)) {
      current = line.slice(SECTION.length);
      sections.set(current, "");
    } else if (current !== undefined) sections.set(current, `${sections.get(current)}${line}\n`);
  }
  const section = (name: string) => {
    const text = sections.get(name);
    if (text === undefined) throw new ParseError("node state", `no "${name}" section`, output);
    return text;
  };
  const links: Record<string, string> = {};
  for (const link of parseJson("ip -j -d link show", section("links"), linkSchema)) {
    const info = link.linkinfo;
    const kind = info?.info_kind ?? "device";
    const detail = [
      info?.info_data?.mode !== undefined ? ` mode ${info.info_data.mode}` : "",
      info?.info_data?.id !== undefined ? ` id ${info.info_data.id}` : "",
    ].join("");
    const flags = link.flags.filter((f) => !MOVING_FLAGS.has(f)).sort();
    links[link.ifname] =
      `${kind}${detail} <${flags.join(",")}> mtu ${link.mtu}${link.address ? ` mac ${link.address}` : ""}${link.master ? ` master ${link.master}` : ""}`;
  }
  const addresses = parseJson("ip -j addr show", section("addresses"), addressSchema)
    .flatMap((link) =>
      link.addr_info
        // An IPv6 link-local address follows the MAC, which links already compare.
        .filter((a) => !(a.family === "inet6" && a.scope === "link"))
        .map((a) => `${a.local}/${a.prefixlen} on ${link.ifname}`),
    )
    .sort();
  const routes = parseJson("ip -j route show table all", section("routes"), routeSchema)
    // The kernel's own routes follow addresses and link state (IPv6 ones appear when autoconfiguration
    // finishes, maybe after `up`), which are compared themselves; a route someone added is not the kernel's.
    .filter((r) => r.protocol !== "kernel")
    .map((r) =>
      [
        r.type && r.type !== "unicast" ? r.type : "",
        r.dst,
        r.gateway ? `via ${r.gateway}` : "",
        r.dev ? `dev ${r.dev}` : "",
        `table ${r.table ?? "main"}`,
        r.protocol ? `proto ${r.protocol}` : "",
        r.scope ? `scope ${r.scope}` : "",
        r.prefsrc ? `src ${r.prefsrc}` : "",
        r.metric !== undefined ? `metric ${r.metric}` : "",
      ]
        .filter(Boolean)
        .join(" "),
    )
    .sort();
  const namespaces = section("namespaces")
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[0] ?? "")
    .filter(Boolean)
    .sort();
  const sysctls: Record<string, string> = {};
  for (const line of section("sysctls").split("\n").filter(Boolean)) {
    const at = line.indexOf("=");
    if (at > 0) sysctls[line.slice(0, at).replaceAll("/", ".")] = line.slice(at + 1);
  }
  const docker = section("docker").split("\n").filter(Boolean).sort();
  return { links, addresses, routes, namespaces, sysctls, iptables: iptablesRules(section("iptables")), docker };
}

/**
 * Rules and the chains a scenario made or re-pointed, table by table: a table that only appears
 * because a command loaded it (empty chains, ACCEPT policies) is not a leftover.
 */
function iptablesRules(save: string): string[] {
  const kept: string[] = [];
  let table = "";
  for (const line of save.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1);
    else if (line.startsWith("-A ")) kept.push(`${table}: ${line}`);
    else if (line.startsWith(":")) {
      const [chain = "", policy = ""] = line.slice(1).split(/\s+/);
      if (policy !== "ACCEPT") kept.push(`${table}: chain ${chain} policy ${policy}`);
    }
  }
  return kept.sort();
}

/** What differs between a node right after `up` and now, one line per difference; empty when nothing does. */
export function nodeStateDiff(before: NodeState, after: NodeState): string[] {
  const lines: string[] = [];
  for (const name of new Set([...Object.keys(before.links), ...Object.keys(after.links)])) {
    const was = before.links[name];
    const is = after.links[name];
    if (was === is) continue;
    if (was === undefined) lines.push(`link ${name} was added (${is})`);
    else if (is === undefined) lines.push(`link ${name} is gone (was ${was})`);
    else lines.push(`link ${name} changed: ${was} → ${is}`);
  }
  const listDiff = (what: string, was: readonly string[], is: readonly string[]) => {
    for (const item of is) if (!was.includes(item)) lines.push(`${what} ${item} was added`);
    for (const item of was) if (!is.includes(item)) lines.push(`${what} ${item} is gone`);
  };
  listDiff("address", before.addresses, after.addresses);
  listDiff("route", before.routes, after.routes);
  listDiff("network namespace", before.namespaces, after.namespaces);
  for (const key of new Set([...Object.keys(before.sysctls), ...Object.keys(after.sysctls)]))
    if (before.sysctls[key] !== after.sysctls[key])
      lines.push(`sysctl ${key} = ${after.sysctls[key] ?? "(unset)"}, was ${before.sysctls[key] ?? "(unset)"}`);
  listDiff("iptables", before.iptables, after.iptables);
  listDiff("docker", before.docker, after.docker);
  return lines;
}

const switchPortSchema = z.array(
  z.looseObject({
    ifname: z.string(),
    flags: z.array(z.string()),
    master: z.string().optional(),
    hairpin: z.boolean().optional(),
    learning: z.boolean().optional(),
    flood: z.boolean().optional(),
    isolated: z.boolean().optional(),
  }),
);

/**
 * The switch's ports (`bridge -j -d link show` in the fabric) as a scenario may set them: admin up
 * or down (a pulled cable), hairpin, learning, flooding, isolation. Not the STP state, which follows carrier.
 */
export function parseSwitchPorts(json: string): Record<string, string> {
  const ports: Record<string, string> = {};
  for (const port of parseJson("bridge -j -d link show", json, switchPortSchema)) {
    const flags = port.flags.filter((f) => !MOVING_FLAGS.has(f)).sort();
    const settings = (["hairpin", "learning", "flood", "isolated"] as const)
      .filter((key) => port[key] !== undefined)
      .map((key) => `${key} ${port[key] ? "on" : "off"}`);
    ports[port.ifname] = `<${flags.join(",")}> ${settings.join(" ")}${port.master ? ` master ${port.master}` : ""}`;
  }
  return ports;
}

/** Switch ports that differ, one line each. */
export function switchPortsDiff(before: Record<string, string>, after: Record<string, string>): string[] {
  const lines: string[] = [];
  for (const port of new Set([...Object.keys(before), ...Object.keys(after)]))
    if (before[port] !== after[port])
      lines.push(`switch port ${port}: ${before[port] ?? "(none)"} → ${after[port] ?? "(none)"}`);
  return lines;
}
