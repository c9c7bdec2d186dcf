import { existsSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InputError } from "../model/errors.ts";
import type { Lab, NicSpec } from "../model/lab.ts";
import { loadLab } from "../model/load-lab.ts";
import { schemaComment } from "./json-schemas.ts";
import { labsDirBeside } from "./load.ts";

/** The skeleton's addresses: a private /24 that lives only on the lab's own segments. */
const SUBNET = "10.99.0";

interface Port {
  readonly node: string;
  readonly nic: NicSpec;
}

/**
 * A scenario that validates, runs and passes its rubric on `lab` as written: addresses on two nodes
 * that share a segment (or one node), a route check, a ping with TTL 64, and a negative control that
 * costs exactly the ping. The author replaces the TODOs with an article's commands and claims.
 */
export function scenarioSkeleton(id: string, lab: Lab, scenariosDir: string): string {
  const [a, b] = twoPortsOnOneSegment(lab);
  const up = (port: Port, host: number) =>
    `  - node: ${port.node}\n    run:\n      - ip addr add ${SUBNET}.${host}/24 dev ${port.nic.name}\n      - ip link set dev ${port.nic.name} up\n`;
  const down = (port: Port, host: number) =>
    `  - node: ${port.node}\n    run: ip addr del ${SUBNET}.${host}/24 dev ${port.nic.name}\n`;
  const routeCheck = `  - id: ${a.node}-route
    title: ${a.node} routes ${SUBNET}.0/24 out of ${a.nic.name}
    hint: "TODO: what a student should look at when this fails"
    route: { node: ${a.node}, dst: ${SUBNET}.0/24, dev: ${a.nic.name} }
`;
  const pingCheck = b
    ? `  - id: ${b.node}-reaches-${a.node}
    title: ${b.node} reaches ${a.node} (${SUBNET}.1) with TTL 64, on one L2 segment
    points: 3
    hint: "TODO: same subnet, both links up, both NICs on segment ${a.nic.segment}"
    ping: { from: ${b.node}, to: ${SUBNET}.1, ttl: 64 }
`
    : "";
  const control = b
    ? `  - id: ${b.node}-link-down
    title: ${b.node}'s ${b.nic.name} is down
    break:
      - node: ${b.node}
        run: ip link set dev ${b.nic.name} down
    flips: [${b.node}-reaches-${a.node}]
    restore:
      - node: ${b.node}
        run: ip link set dev ${b.nic.name} up
`
    : `  - id: ${a.node}-address-removed
    title: ${a.node}'s address is removed
    break:
      - node: ${a.node}
        run: ip addr del ${SUBNET}.1/24 dev ${a.nic.name}
    flips: [${a.node}-route]
    restore:
      - node: ${a.node}
        run: ip addr add ${SUBNET}.1/24 dev ${a.nic.name}
`;
  return `${schemaComment("scenario", scenariosDir)}
# A skeleton from \`macvlab new scenario\`: it validates, runs and passes its rubric as it is.
# Replace the TODOs and the commands with the article's own, keeping a negative control for every claim.
id: ${id}
title: "TODO: the article's claim, as a sentence"
technology: macvlan # one of: macvlan, 802.1q, ipvlan, routing, bridge, bonding, team
source:
  - { seed: "000", section: "TODO: the article's number and section" }
lab: ${lab.name}
goal: >-
  TODO: what the student builds, in the article's terms.
requires: [] # capabilities the commands need (macvlan, 8021q, ipvlan, bonding, …): \`macvlab doctor\` lists them
setup:
${up(a, 1)}${b ? up(b, 2) : ""}checks:
${routeCheck}${pingCheck}negative_controls:
${control}# What setup added, taken away: the harness proves each node is left as the lab came up.
cleanup:
${down(a, 1)}${b ? down(b, 2) : ""}`;
}

/**
 * Writes `<dir>/<id>.yaml` for the lab `<dir>/../labs/<lab>.yaml` (where `run` will look for it);
 * never over an existing file.
 */
export function newScenario(id: string, labName: string, scenariosDir: string): string {
  const labFile = join(labsDirBeside(scenariosDir), `${labName}.yaml`);
  if (!existsSync(labFile))
    throw new InputError(`--lab ${labName}: no lab file ${labFile} (a scenario's lab sits in labs/ beside its folder)`);
  const lab = loadLab(labFile);
  const file = join(scenariosDir, `${id}.yaml`);
  try {
    writeFileSync(file, scenarioSkeleton(id, lab, resolve(scenariosDir)), { flag: "wx" });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === "EEXIST") throw new InputError(`new scenario: ${file} exists already; choose another id`);
    if (code === "ENOENT") throw new InputError(`new scenario: --dir ${dirname(file)} does not exist`);
    throw new InputError(`new scenario: cannot write ${file}: ${message}`);
  }
  return file;
}

/** Two nodes whose NICs share a segment (a switch before a trunk, which may drop untagged frames), else one node. */
function twoPortsOnOneSegment(lab: Lab): [Port, Port | undefined] {
  const ports = Object.entries(lab.nodes).flatMap(([node, spec]) => spec.nics.map((nic) => ({ node, nic })));
  const onSwitch = (p: Port) => lab.segments[p.nic.segment]?.kind !== "trunk";
  for (const first of [...ports.filter(onSwitch), ...ports.filter((p) => !onSwitch(p))]) {
    const second = ports.find((p) => p.node !== first.node && p.nic.segment === first.nic.segment);
    if (second) return [first, second];
  }
  const only = ports[0];
  if (!only) throw new InputError(`lab ${lab.name} has no NIC to build a skeleton on`);
  return [only, undefined];
}
