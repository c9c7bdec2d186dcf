import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import { Ipv4, NetnsName, NodeName } from "../model/names.ts";
import { type Interruption, interruption, parsePingTimeline } from "../parse/ping-timeline.ts";
import { type CheckKindModule, defineCheckKind } from "./check-kind.ts";
import { inPlace, PLACE_PREFIX, where } from "./shared.ts";

/**
 * A continuous ping while the check's `while` change happens (a pulled cable): how much was lost, the
 * longest silence, and whether the last part of the run was lossless (traffic settled on the new path).
 */
const TrafficSpec = z
  .strictObject({
    from: NodeName,
    netns: NetnsName.optional(),
    to: Ipv4,
    /** One probe every interval_ms (iputils accepts down to 2 ms as root). */
    interval_ms: z.number().int().min(10).max(1000).default(50),
    /** How long the ping runs in all. */
    duration_ms: z.number().int().min(500).max(60_000).default(5000),
    /** When the change is made, counted from the ping's start. */
    act_after_ms: z.number().int().min(0).max(30_000).default(1000),
    max_loss_percent: z.number().min(0).max(100).optional(),
    max_gap_ms: z.number().int().min(0).max(60_000).optional(),
    /** The last settle_ms of the run must have lost nothing. */
    settle_ms: z.number().int().min(0).max(30_000).default(1500),
  })
  .refine((spec) => spec.act_after_ms < spec.duration_ms && spec.settle_ms < spec.duration_ms, {
    message: "act_after_ms and settle_ms must fall inside duration_ms (the change and the settled end are measured)",
  });
export type TrafficCheckSpec = z.output<typeof TrafficSpec>;

function probes(spec: TrafficCheckSpec): number {
  return Math.max(1, Math.round(spec.duration_ms / spec.interval_ms));
}

export function trafficCommand(spec: TrafficCheckSpec): string {
  const interval = (spec.interval_ms / 1000).toFixed(3).replace(/\.?0+$/, "");
  return inPlace(spec, `env LC_ALL=C ping -n -D -c ${probes(spec)} -i ${interval} -W 1 ${spec.to}`);
}

export function judgeTraffic(spec: TrafficCheckSpec, seen: Interruption, sent: number, place: string): Outcome {
  const tail = Math.ceil(spec.settle_ms / spec.interval_ms);
  const facets = (expected: boolean) => {
    const out: string[] = [];
    if (spec.max_loss_percent !== undefined)
      out.push(
        expected || seen.lossPercent <= spec.max_loss_percent
          ? `loss ≤ ${spec.max_loss_percent}%`
          : `loss ${seen.lossPercent}%`,
      );
    if (spec.max_gap_ms !== undefined)
      out.push(
        expected || seen.longestGapMs <= spec.max_gap_ms
          ? `longest gap ≤ ${spec.max_gap_ms} ms`
          : `longest gap ${seen.longestGapMs} ms`,
      );
    if (spec.settle_ms > 0)
      out.push(
        expected || seen.lostAtEnd === 0
          ? `no loss in the last ${spec.settle_ms} ms`
          : `${seen.lostAtEnd} of the last ${tail} probes lost`,
      );
    return out.join(", ");
  };
  return {
    subject: `${place} → ${spec.to}, one probe every ${spec.interval_ms} ms for ${spec.duration_ms} ms`,
    expected: facets(true),
    actual: facets(false),
    // The measurement itself, whatever the verdict: what the report shows for a failover.
    detail: `measured: ${seen.lost} of ${sent} probes lost (${seen.lossPercent}%), longest gap ${seen.longestGapMs} ms, ${seen.lostAtEnd} lost in the last ${spec.settle_ms} ms; the change came ${spec.act_after_ms} ms in`,
  };
}

export const traffic: CheckKindModule<TrafficCheckSpec> = defineCheckKind({
  schema: TrafficSpec,
  summary:
    "a continuous ping (`interval_ms`, `duration_ms`) through the check's `while` change: `max_loss_percent`, `max_gap_ms`, lossless `settle_ms` at the end",
  example: { from: "node2", to: "192.168.60.1", max_gap_ms: 1000, max_loss_percent: 20 },
  nodeRefs: (spec) => [{ node: spec.from, path: ["from"] }],
  places: (spec) => [{ node: spec.from, netns: spec.netns }],
  commands: (spec) => [{ node: spec.from, command: trafficCommand(spec) }],
  readOnly: [new RegExp(String.raw`^${PLACE_PREFIX}env LC_ALL=C ping -n -D -c \d+ -i [\d.]+ -W \d+ [\d.]+$`)],
  defaultDeadlineMs: () => 0,
  oneShot: () => true,
  actsDuringProbe: true,
  graded: true,
  async probe(spec, env, { checkId }) {
    const place = where({ node: spec.from, netns: spec.netns });
    const pinging = env.exec(spec.from, trafficCommand(spec), { timeoutMs: spec.duration_ms + 15_000 });
    // Awaited below, after the change: a ping that fails before then (a lost connection) must not be an
    // unhandled rejection meanwhile, which would end the process.
    pinging.catch(() => undefined);
    try {
      await env.sleep(spec.act_after_ms);
      await env.act();
    } catch (error) {
      // The change failed: let the ping end before reporting it, so nothing runs on unobserved.
      await pinging.catch(() => undefined);
      throw error;
    }
    const result = await pinging;
    // iputils: 0 all answered, 1 some or none answered; anything else is ping failing to run.
    if (result.exitCode !== 0 && result.exitCode !== 1)
      throw new CheckCommandError(
        `check ${checkId} could not run ping on ${place} (exit ${result.exitCode ?? result.signal}): ${result.stderr.trim()}`,
      );
    const sent = probes(spec);
    const timeline = parsePingTimeline(result.stdout, spec.to, sent);
    const answered = new Set(timeline.answers.map((a) => a.seq));
    const marks = Array.from({ length: sent }, (_, i) => (answered.has(i + 1) ? "." : "x")).join("");
    await env.attach(
      `timeline ${place} → ${spec.to} (one mark per ${spec.interval_ms} ms: . answered, x lost)`,
      `${marks}\n`,
      "text/plain",
    );
    const tail = Math.ceil(spec.settle_ms / spec.interval_ms);
    return judgeTraffic(spec, interruption(timeline, spec.interval_ms, tail), sent, place);
  },
});
