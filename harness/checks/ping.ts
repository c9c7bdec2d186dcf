import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import { Ipv4, NodeName } from "../model/names.ts";
import { type PingSummary, parsePing } from "../parse/ping.ts";
import { type CheckKindModule, defineCheckKind } from "./check-kind.ts";
import { inPlace, oneOrNoPlace, PLACE_FIELDS, PLACE_PREFIX, where } from "./shared.ts";

const PingSpec = z
  .strictObject({
    from: NodeName,
    ...PLACE_FIELDS,
    to: Ipv4,
    expect: z.enum(["reachable", "unreachable"]).default("reachable"),
    ttl: z.number().int().min(1).max(255).optional(),
    count: z.number().int().min(1).max(20).optional(),
    /** Highest acceptable loss in percent for a reachable check. @default 0 over the last attempt */
    max_loss: z.number().min(0).max(100).optional(),
  })
  .refine(...oneOrNoPlace);
export type PingCheckSpec = z.output<typeof PingSpec>;

/** iputils: 1 = no reply; 2 with these texts = the kernel refused to send, which is also "unreachable". */
const UNREACHABLE_TEXT = /Network is unreachable|No route to host|Destination Host Unreachable/;

export function pingCommand(spec: PingCheckSpec, deadlineMs: number): string {
  if (spec.expect === "unreachable") {
    // Several probes, all inside the deadline: the check ends at its deadline, not after ping's defaults.
    const seconds = Math.max(1, Math.round(deadlineMs / 1000));
    return inPlace(spec, `env LC_ALL=C ping -n -c ${spec.count ?? 3} -i 0.3 -W 1 -w ${seconds} ${spec.to}`);
  }
  const count = spec.count ?? 1;
  return inPlace(spec, `env LC_ALL=C ping -n -c ${count} ${count > 1 ? "-i 0.2 " : ""}-W 1 ${spec.to}`);
}

/**
 * Reachable means replies came from the target itself; an ICMP error from a router on the way
 * ("Destination Host Unreachable" from 172.16.10.1) is not reachability.
 */
export function judgePing(spec: PingCheckSpec, summary: PingSummary, place: string): Outcome {
  const fromTarget = summary.replies.filter((r) => r.from === spec.to);
  const ttls = [...new Set(fromTarget.map((r) => r.ttl))];
  // A probe is answered once however many copies come back (duplicated frames, loops); counting by seq rather
  // than dropping `duplicate` replies also keeps the target's answer when another host's came first (broadcast).
  const answered = new Set(fromTarget.map((r) => r.seq)).size;
  const lossPercent = summary.transmitted ? Math.round(100 * (1 - answered / summary.transmitted)) : 100;
  const subject = `${place} → ${spec.to}`;
  const senders = [...new Set(summary.replies.map((r) => r.from))];
  const detail = [
    `${summary.transmitted} sent, ${summary.received} received, ${summary.lossPercent}% loss`,
    ttls.length ? `TTL ${ttls.join("/")}` : "",
    summary.replies.length > fromTarget.length ? `replies from ${senders.join(", ")}` : "",
    ...summary.problems.slice(0, 2),
  ]
    .filter(Boolean)
    .join("; ");

  if (spec.expect === "unreachable") {
    const actual = fromTarget.length ? `reachable (TTL ${ttls.join("/")})` : "unreachable";
    return { subject, expected: "unreachable", actual, detail };
  }
  const lossBound = spec.max_loss !== undefined ? `loss ≤ ${spec.max_loss}%` : undefined;
  const expected = describeReachable(spec.ttl !== undefined ? [spec.ttl] : undefined, lossBound);
  if (!fromTarget.length) return { subject, expected, actual: "unreachable", detail };
  const lossText =
    spec.max_loss === undefined ? undefined : lossPercent <= spec.max_loss ? lossBound : `loss ${lossPercent}%`;
  return { subject, expected, actual: describeReachable(spec.ttl !== undefined ? ttls : undefined, lossText), detail };
}

function describeReachable(ttls: readonly number[] | undefined, loss: string | undefined): string {
  return ["reachable", ttls ? `TTL ${ttls.join("/")}` : "", loss ?? ""].filter(Boolean).join(", ");
}

/** Reachable or not from a node (or a namespace on it), with TTL, count and loss. */
export const ping: CheckKindModule<PingCheckSpec> = defineCheckKind({
  schema: PingSpec,
  summary: "reachable / unreachable within a deadline, `ttl`, `count`, `max_loss`",
  example: { from: "node2", netns: "box1", to: "172.16.20.11", ttl: 63 },
  nodeRefs: (spec) => [{ node: spec.from, path: ["from"] }],
  places: (spec) => [{ node: spec.from, netns: spec.netns, container: spec.container }],
  commands: (spec, { deadlineMs }) => [{ node: spec.from, command: pingCommand(spec, deadlineMs) }],
  readOnly: [new RegExp(String.raw`^${PLACE_PREFIX}env LC_ALL=C ping -n -c \d+ (-i [\d.]+ )?-W \d+ (-w \d+ )?[\d.]+$`)],
  // An unreachable check must not wait long per probe; a reachable one waits for ARP and STP.
  defaultDeadlineMs: (spec) => (spec.expect === "unreachable" ? 1000 : 5000),
  // An unreachable ping spends its whole deadline in one probe.
  oneShot: (spec) => spec.expect === "unreachable",
  graded: true,
  async probe(spec, env, { checkId, deadlineMs }) {
    const place = where({ node: spec.from, netns: spec.netns, container: spec.container });
    // The exec's own deadline, beyond ping's: entering a container asks its node's engine first (over a
    // second in a UML node, many more with other kernels busy on the same CPUs), and that is not the ping.
    const overheadMs = spec.container ? 60_000 : 5000;
    const result = await env.exec(spec.from, pingCommand(spec, deadlineMs), { timeoutMs: deadlineMs + overheadMs });
    const text = `${result.stdout}\n${result.stderr}`;
    if (result.exitCode !== 0 && result.exitCode !== 1 && !UNREACHABLE_TEXT.test(text)) {
      const status = result.exitCode ?? result.signal;
      const said = result.stderr.trim() || result.stdout.trim();
      throw new CheckCommandError(`check ${checkId} could not run ping on ${place} (exit ${status}): ${said}`);
    }
    return judgePing(spec, parsePing(result.stdout, result.stderr), place);
  },
});
