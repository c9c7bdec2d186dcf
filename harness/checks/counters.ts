import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import { IfName, Ipv4, NetnsName, NodeName } from "../model/names.ts";
import { parseIpLinks } from "../parse/ip-json.ts";
import { parsePing } from "../parse/ping.ts";
import { type CheckKindModule, defineCheckKind } from "./check-kind.ts";
import { commandFailed, IFNAME_PATTERN, inPlace, mustSucceed, PLACE_PREFIX, where } from "./shared.ts";

/** Packet counters of a node's interfaces, read before and after pings to several destinations. */
const CountersSpec = z
  .strictObject({
    node: NodeName,
    direction: z.enum(["tx", "rx"]).default("tx"),
    /** Interfaces that must each carry at least `min_packets` of the traffic. */
    grow: z.array(IfName).default([]),
    /** Interfaces that must carry (next to) none of it: at most `idle_max` packets in the window (a backup port). */
    idle: z.array(IfName).default([]),
    min_packets: z.number().int().min(1).max(1000).default(3),
    idle_max: z.number().int().min(0).max(1000).default(1),
    traffic: z.strictObject({
      from: NodeName,
      netns: NetnsName.optional(),
      to: z.array(Ipv4).min(1).max(16),
      count: z.number().int().min(1).max(20).default(3),
    }),
  })
  .refine((spec) => spec.grow.length + spec.idle.length > 0, {
    message: "name at least one interface in grow or idle",
  });
export type CountersCheckSpec = z.output<typeof CountersSpec>;

const PING = (spec: CountersCheckSpec, to: string) =>
  inPlace(spec.traffic, `env LC_ALL=C ping -n -c ${spec.traffic.count} -i 0.2 -W 1 ${to}`);
const STATS = (dev: string) => `ip -j -s link show dev ${dev}`;

/** Packets an interface carried in the check's direction, from `ip -j -s link show dev X`. */
function packets(json: string, dir: "tx" | "rx", dev: string): number {
  const stats = parseIpLinks(json)[0]?.stats64;
  if (!stats) throw new CheckCommandError(`ip -j -s link show dev ${dev} printed no counters`);
  return stats[dir].packets;
}

export interface CounterReading {
  readonly dev: string;
  readonly delta: number;
}

export function judgeCounters(
  spec: CountersCheckSpec,
  deltas: readonly CounterReading[],
  answered: readonly string[],
  place: string,
): Outcome {
  const { direction: dir, min_packets: min } = spec;
  const delta = (dev: string) => deltas.find((d) => d.dev === dev)?.delta ?? 0;
  const facets = (expected: boolean) => [
    ...spec.grow.map((dev) =>
      expected || delta(dev) >= min ? `${dev} ${dir} +≥${min}` : `${dev} ${dir} +${delta(dev)}`,
    ),
    ...spec.idle.map((dev) =>
      expected || delta(dev) < min ? `${dev} ${dir} +<${min}` : `${dev} ${dir} +${delta(dev)}`,
    ),
    expected || answered.length === spec.traffic.to.length
      ? `${spec.traffic.to.length}/${spec.traffic.to.length} destinations answered`
      : `${answered.length}/${spec.traffic.to.length} destinations answered`,
  ];
  const sender = where({ node: spec.traffic.from, netns: spec.traffic.netns });
  return {
    subject: `${place}: ${dir} packets while ${sender} pings ${spec.traffic.to.join(", ")}`,
    expected: facets(true).join(", "),
    actual: facets(false).join(", "),
    detail: deltas.map((d) => `${d.dev} ${dir} +${d.delta}`).join("; "),
  };
}

/**
 * Which interfaces carry traffic: packet counters read before and after pings to several destinations
 * (a team spreads them over its ports, a bond's backup carries none). Other traffic during the window
 * also counts, which is why `idle` allows `idle_max` packets rather than none.
 */
export const counters: CheckKindModule<CountersCheckSpec> = defineCheckKind({
  schema: CountersSpec,
  summary: "rx/tx packet counters of interfaces before and after pings to several destinations: `grow`, `idle`",
  example: {
    node: "node1",
    grow: ["enp0s3", "enp0s8"],
    traffic: { from: "node1", to: ["192.168.70.11", "192.168.70.12"] },
  },
  nodeRefs: (spec) => [
    { node: spec.node, path: ["node"] },
    { node: spec.traffic.from, path: ["traffic", "from"] },
  ],
  places: (spec) => [{ node: spec.node }, { node: spec.traffic.from, netns: spec.traffic.netns }],
  commands: (spec) => {
    const reads = [...spec.grow, ...spec.idle].map((dev) => ({ node: spec.node, command: STATS(dev) }));
    return [...reads, ...spec.traffic.to.map((to) => ({ node: spec.traffic.from, command: PING(spec, to) })), ...reads];
  },
  readOnly: [
    new RegExp(`^ip -j -s link show dev ${IFNAME_PATTERN}$`),
    new RegExp(String.raw`^${PLACE_PREFIX}env LC_ALL=C ping -n -c \d+ -i [\d.]+ -W \d+ [\d.]+$`),
  ],
  defaultDeadlineMs: () => 3000,
  oneShot: () => false,
  graded: true,
  async probe(spec, env, { checkId }) {
    const devs = [...spec.grow, ...spec.idle];
    const read = async () => {
      const values: number[] = [];
      for (const dev of devs)
        values.push(packets(mustSucceed(checkId, await env.exec(spec.node, STATS(dev))).stdout, spec.direction, dev));
      return values;
    };
    const before = await read();
    const answered: string[] = [];
    for (const to of spec.traffic.to) {
      const result = await env.exec(spec.traffic.from, PING(spec, to));
      // iputils: 0 answered, 1 not; anything else (no such namespace, a bad option) is ping failing to run.
      if (result.exitCode !== 0 && result.exitCode !== 1) throw commandFailed(checkId, result);
      if (parsePing(result.stdout, result.stderr).replies.some((r) => r.from === to)) answered.push(to);
    }
    const after = await read();
    const deltas = devs.map((dev, i) => ({ dev, delta: (after[i] ?? 0) - (before[i] ?? 0) }));
    return judgeCounters(spec, deltas, answered, spec.node);
  },
});
