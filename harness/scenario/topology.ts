import type { Place } from "../checks/check-kind.ts";
import { kindOf } from "../checks/registry.ts";
import type { Lab } from "../model/lab.ts";
import { type CheckSpec, commandsOf, isCommandStep, type Scenario } from "./schema.ts";

/** How a check came out, for its colour: as expected (green), not (red), not judged yet (grey). */
export type DrawnVerdict = "as-expected" | "not-as-expected" | "not-judged";

export interface DrawnCheck {
  readonly check: CheckSpec;
  readonly verdict: DrawnVerdict;
}

const COLOURS: Record<DrawnVerdict, string> = {
  "as-expected": "#2e7d32",
  "not-as-expected": "#c62828",
  "not-judged": "#757575",
};

/**
 * The lab as a Graphviz graph: nodes with their NICs (name, MAC), segments (switch or 802.1Q trunk,
 * with the VLAN ids the scenario's setup creates on each port), and the checks drawn on it — a ping
 * as an arrow from its source to the node that holds the address, any other check as its nodes
 * outlined — coloured by verdict. Graphviz lays it out; nothing is placed by hand.
 */
export function topologyDot(lab: Lab, scenario?: Scenario, drawn: readonly DrawnCheck[] = []): string {
  const vlans = scenario ? vlansOf(scenario) : new Map<string, number[]>();
  const owners = scenario ? addressOwners(scenario) : new Map<string, Place>();
  const outlined = new Map<string, DrawnVerdict>();
  const lines = [
    `graph ${quote(lab.name)} {`,
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.5, ranksep=1.2, splines=true];',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const [id, segment] of Object.entries(lab.segments)) {
    const what = segment.kind === "trunk" ? "trunk (802.1Q)" : "switch";
    lines.push(
      `  ${quote(`segment:${id}`)} [shape=box, style="rounded,filled", fillcolor="#e3f2fd", label=${quote(`${id}\n${what}`)}];`,
    );
  }
  const pings: string[] = [];
  /** Every namespace or container drawn, with the addresses the setup gives it. */
  const namespaces = new Map<string, { node: string; label: string; addresses: Set<string> }>();
  const namespaceOf = (place: Place) => {
    const label = place.container ? `container ${place.container}` : place.netns ? `netns ${place.netns}` : undefined;
    if (!label) return undefined;
    const id = `${place.node}/${label}`;
    const drawnNs = namespaces.get(id) ?? { node: place.node, label, addresses: new Set<string>() };
    namespaces.set(id, drawnNs);
    return { id, addresses: drawnNs.addresses };
  };
  const placeId = (place: Place) => {
    const inside = namespaceOf(place);
    return inside ? quote(inside.id) : nodeId(place.node);
  };
  for (const [address, place] of owners) namespaceOf(place)?.addresses.add(address);
  for (const { check, verdict } of drawn) {
    const ping = check.ping;
    if (!ping) {
      for (const ref of kindOf(check).nodeRefs()) outlined.set(ref.node, worst(outlined.get(ref.node), verdict));
      continue;
    }
    const target = owners.get(ping.to);
    const from = placeId({ node: ping.from, netns: ping.netns, container: ping.container });
    let to = target ? placeId(target) : quote(`address:${ping.to}`);
    if (!target) pings.push(`  ${to} [shape=plaintext, label=${quote(`${ping.to}\n(not in the setup)`)}];`);
    // A ping to the place it starts from would be a self-loop, which the layout cannot route around labels.
    if (to === from) to = nodeId(ping.from);
    const label = `${check.id}: ping ${ping.to}${ping.ttl ? ` ttl ${ping.ttl}` : ""}${ping.expect === "unreachable" ? " (unreachable)" : ""}`;
    const colour = quote(COLOURS[verdict]);
    pings.push(
      `  ${from} -- ${to} [dir=forward, style=${ping.expect === "unreachable" ? "dotted" : "dashed"}, penwidth=2, constraint=false, color=${colour}, fontcolor=${colour}, label=${quote(label)}];`,
    );
  }
  for (const [id, { node, label: name, addresses }] of namespaces) {
    const label = [name, ...addresses].join("\n");
    lines.push(`  ${quote(id)} [shape=ellipse, style=filled, fillcolor="#fff8e1", fontsize=9, label=${quote(label)}];`);
    lines.push(`  ${nodeId(node)} -- ${quote(id)} [style=dotted, color="#9e9e9e"];`);
  }
  for (const [name, node] of Object.entries(lab.nodes)) {
    const rows = node.nics
      .map(
        (nic) =>
          `<TR><TD PORT=${quote(nic.name)} ALIGN="LEFT">${html(nic.name)}${nic.mac ? ` <FONT POINT-SIZE="8">${html(nic.mac)}</FONT>` : ""}</TD></TR>`,
      )
      .join("");
    const verdict = outlined.get(name);
    const border = verdict ? ` COLOR=${quote(COLOURS[verdict])}` : "";
    lines.push(
      `  ${nodeId(name)} [shape=plaintext, label=<<TABLE BORDER="${verdict ? 3 : 1}" CELLBORDER="0" CELLSPACING="2"${border}><TR><TD><B>${html(name)}</B></TD></TR>${rows}</TABLE>>];`,
    );
    for (const nic of node.nics) {
      const tags = vlans.get(`${name}/${nic.name}`);
      const label = tags?.length ? `, label=${quote(`802.1Q ${tags.join(", ")}`)}` : "";
      lines.push(
        `  ${nodeId(name)}:${quote(nic.name)} -- ${quote(`segment:${nic.segment}`)} [color="#546e7a"${label}];`,
      );
    }
  }
  lines.push(...pings, "}");
  return `${lines.join("\n")}\n`;
}

/**
 * The addresses the setup gives (`ip addr add A/len`, `ifconfig IF A`, in a node or one of its
 * namespaces; `docker run --name N --ip A` to a container), by address.
 */
export function addressOwners(scenario: Scenario): Map<string, Place> {
  const owners = new Map<string, Place>();
  for (const { node, command } of setupCommands(scenario)) {
    if (/^docker (container )?run /.test(command)) {
      const name = /\s--name[= ](\S+)/.exec(command)?.[1];
      const address = /\s--ip[= ](\d+\.\d+\.\d+\.\d+)\b/.exec(command)?.[1];
      if (name && address && !owners.has(address)) owners.set(address, { node, container: name });
      continue;
    }
    const match =
      /^(?:ip netns exec (\S+) )?(?:ip (?:-\S+ )*a(?:d|dd|ddr|ddress)? add|ifconfig \S+) (\d+\.\d+\.\d+\.\d+)\b/.exec(
        command,
      );
    if (match?.[2] && !owners.has(match[2])) owners.set(match[2], { node, netns: match[1] });
  }
  return owners;
}

/** The 802.1Q ids the setup stacks on each NIC (`ip link add link X … type vlan id N`, `vconfig add X N`), by `node/nic`. */
export function vlansOf(scenario: Scenario): Map<string, number[]> {
  const vlans = new Map<string, number[]>();
  for (const { node, command } of setupCommands(scenario)) {
    const match =
      /^ip link add link (\S+) .*\btype vlan\b.*\bid (\d+)/.exec(command) ?? /^vconfig add (\S+) (\d+)/.exec(command);
    if (!match?.[1] || !match[2]) continue;
    const key = `${node}/${match[1]}`;
    vlans.set(
      key,
      [...new Set([...(vlans.get(key) ?? []), Number(match[2])])].sort((a, b) => a - b),
    );
  }
  return vlans;
}

function setupCommands(scenario: Scenario): Array<{ node: string; command: string }> {
  return scenario.setup.flatMap((step) =>
    isCommandStep(step) ? commandsOf(step).map((command) => ({ node: step.node, command: command.trim() })) : [],
  );
}

function worst(a: DrawnVerdict | undefined, b: DrawnVerdict): DrawnVerdict {
  const order: DrawnVerdict[] = ["not-as-expected", "as-expected", "not-judged"];
  return a === undefined || order.indexOf(b) < order.indexOf(a) ? b : a;
}

const nodeId = (name: string) => quote(`node:${name}`);
const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
const html = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
