import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { IfName, NetnsName, NodeName } from "../model/names.ts";
import { type FdbEntry, parseBridgeFdb } from "../parse/bridge-fdb.ts";
import { parseIpLinks } from "../parse/ip-json.ts";
import { type CheckKindModule, defineCheckKind } from "./check-kind.ts";
import { LINK_COMMAND_PATTERN, linkCommand } from "./link.ts";
import { IFNAME_PATTERN, mustSucceed, where } from "./shared.ts";

/** A Linux bridge on a node has learnt a device's MAC (in a namespace on the same node) on one of its ports. */
const FdbSpec = z.strictObject({
  node: NodeName,
  bridge: IfName,
  port: IfName,
  learns: z.strictObject({ netns: NetnsName.optional(), dev: IfName }),
});
export type FdbCheckSpec = z.output<typeof FdbSpec>;

const fdbCommand = (bridge: string) => `bridge -j fdb show br ${bridge}`;

/** Learnt by the bridge itself: not one added by hand or by the bridge for its own ports (permanent, static). */
const isLearnt = (entry: FdbEntry) => entry.state !== "permanent" && entry.state !== "static";

export function judgeFdb(spec: FdbCheckSpec, mac: string, entries: readonly FdbEntry[], place: string): Outcome {
  const learned = entries.filter((e) => e.mac === mac && isLearnt(e));
  const ports = [...new Set(learned.map((e) => e.ifname ?? "?"))];
  return {
    subject: `${place}: ${spec.bridge} forwarding database`,
    expected: `${mac} learnt on ${spec.port}`,
    actual: ports.length ? `${mac} learnt on ${ports.join(", ")}` : `${mac} not learnt`,
    detail: `${entries.filter(isLearnt).length} learnt entries on ${spec.bridge}`,
  };
}

export const fdb: CheckKindModule<FdbCheckSpec> = defineCheckKind({
  schema: FdbSpec,
  summary: "a Linux bridge has learnt a device's MAC on a given port (`bridge -j fdb show`)",
  example: { node: "node1", bridge: "br0", port: "veth1", learns: { netns: "ns1", dev: "eth0" } },
  nodeRefs: (spec) => [{ node: spec.node, path: ["node"] }],
  places: (spec) => [{ node: spec.node }, { node: spec.node, netns: spec.learns.netns }],
  commands: (spec) => [
    { node: spec.node, command: linkCommand(spec.learns, false) },
    { node: spec.node, command: fdbCommand(spec.bridge) },
  ],
  readOnly: [LINK_COMMAND_PATTERN, new RegExp(`^bridge -j fdb show br ${IFNAME_PATTERN}$`)],
  // Learning needs a frame from the device: a check right after setup waits for the first one.
  defaultDeadlineMs: () => 3000,
  oneShot: () => false,
  graded: true,
  async probe(spec, env, { checkId }) {
    const device = parseIpLinks(
      mustSucceed(checkId, await env.exec(spec.node, linkCommand(spec.learns, false))).stdout,
    );
    const mac = device[0]?.address ?? "none";
    const entries = parseBridgeFdb(mustSucceed(checkId, await env.exec(spec.node, fdbCommand(spec.bridge))).stdout);
    return judgeFdb(
      spec,
      mac,
      entries,
      `${spec.node} (${where({ node: spec.node, ...spec.learns })} → ${spec.bridge})`,
    );
  },
});
