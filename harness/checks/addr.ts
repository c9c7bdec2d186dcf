import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { IfName, Ipv4Cidr, NetnsName, NodeName } from "../model/names.ts";
import { type IpAddr, parseIpAddrs } from "../parse/ip-json.ts";
import { type CheckKindModule, defineCheckKind } from "./check-kind.ts";
import { IFNAME_PATTERN, inNetns, mustSucceed, NETNS_PREFIX, where } from "./shared.ts";

const AddrSpec = z.strictObject({
  node: NodeName,
  netns: NetnsName.optional(),
  dev: IfName,
  address: Ipv4Cidr,
  expect: z.enum(["present", "absent"]).default("present"),
});
export type AddrCheckSpec = z.output<typeof AddrSpec>;

const addrCommand = (spec: AddrCheckSpec) => inNetns(spec.netns, `ip -j addr show dev ${spec.dev}`);

export function judgeAddr(spec: AddrCheckSpec, addrs: readonly IpAddr[], place: string): Outcome {
  const have = addrs.flatMap((a) => a.addr_info ?? []).filter((i) => i.family === "inet").map((i) => `${i.local}/${i.prefixlen}`);
  const present = have.includes(spec.address);
  const wanted = spec.expect === "present" ? `${spec.address} on ${spec.dev}` : `no ${spec.address} on ${spec.dev}`;
  const actual = present === (spec.expect === "present") ? wanted : present ? `${spec.address} on ${spec.dev}` : `no ${spec.address} on ${spec.dev}`;
  return { subject: `${place}: address ${spec.address}`, expected: wanted, actual, detail: have.join(", ") || "no IPv4 address" };
}

/** An IPv4 address (with its prefix length) on a device: present or absent. */
export const addr: CheckKindModule<AddrCheckSpec> = defineCheckKind({
  schema: AddrSpec,
  summary: "an IPv4 `address` (CIDR) on `dev`: present / absent",
  nodeRefs: (spec) => [{ node: spec.node, path: ["node"] }],
  places: (spec) => [spec],
  commands: (spec) => [{ node: spec.node, command: addrCommand(spec) }],
  readOnly: [new RegExp(String.raw`^${NETNS_PREFIX}ip -j addr show dev ${IFNAME_PATTERN}$`)],
  defaultDeadlineMs: () => 2000,
  oneShot: () => false,
  graded: true,
  async probe(spec, env, { checkId }) {
    const result = mustSucceed(checkId, await env.exec(spec.node, addrCommand(spec)));
    return judgeAddr(spec, parseIpAddrs(result.stdout), where(spec));
  },
});
