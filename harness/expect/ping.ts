import type { PingCheckSpec } from "../model/scenario.ts";
import type { PingSummary } from "../parse/ping.ts";
import type { Outcome } from "./outcome.ts";

/**
 * Reachable means replies came from the target itself; an ICMP error from a router on the way
 * ("Destination Host Unreachable" from 172.16.10.1) is not reachability.
 */
export function expectPing(spec: PingCheckSpec, summary: PingSummary, where: string): Outcome {
  const fromTarget = summary.replies.filter((r) => r.from === spec.to);
  const ttls = [...new Set(fromTarget.map((r) => r.ttl))];
  // A probe is answered once however many copies come back (duplicated frames, loops); counting by seq rather
  // than dropping `duplicate` replies also keeps the target's answer when another host's came first (broadcast).
  const answered = new Set(fromTarget.map((r) => r.seq)).size;
  const lossPercent = summary.transmitted ? Math.round(100 * (1 - answered / summary.transmitted)) : 100;
  const subject = `${where} → ${spec.to}`;
  const detail = [
    `${summary.transmitted} sent, ${summary.received} received, ${summary.lossPercent}% loss`,
    ttls.length ? `TTL ${ttls.join("/")}` : "",
    summary.replies.length > fromTarget.length ? `replies from ${[...new Set(summary.replies.map((r) => r.from))].join(", ")}` : "",
    ...summary.problems.slice(0, 2),
  ].filter(Boolean).join("; ");

  if (spec.expect === "unreachable") {
    return { subject, expected: "unreachable", actual: fromTarget.length ? `reachable (TTL ${ttls.join("/")})` : "unreachable", detail };
  }
  const expected = describeReachable(spec.ttl !== undefined ? [spec.ttl] : undefined, spec.max_loss !== undefined ? `loss ≤ ${spec.max_loss}%` : undefined);
  if (!fromTarget.length) return { subject, expected, actual: "unreachable", detail };
  const lossText = spec.max_loss === undefined ? undefined : lossPercent <= spec.max_loss ? `loss ≤ ${spec.max_loss}%` : `loss ${lossPercent}%`;
  return { subject, expected, actual: describeReachable(spec.ttl !== undefined ? ttls : undefined, lossText), detail };
}

function describeReachable(ttls: readonly number[] | undefined, loss: string | undefined): string {
  return ["reachable", ttls ? `TTL ${ttls.join("/")}` : "", loss ?? ""].filter(Boolean).join(", ");
}
