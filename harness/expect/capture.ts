import type { CaptureCheckSpec } from "../model/scenario.ts";
import type { CapturedFrame } from "../parse/tcpdump.ts";
import type { Outcome } from "./outcome.ts";

/** Judges the frames of the check's own ping (echo requests to the target), not whatever else was on the wire. */
export function expectCapture(spec: CaptureCheckSpec, frames: readonly CapturedFrame[], where: string): Outcome {
  const mine = frames.filter((f) => f.payload.includes(`> ${spec.traffic.to}: ICMP echo request`));
  const describe = (vlans: readonly number[]) => (vlans.length ? `tagged vlan ${vlans.join("/")}` : "untagged");
  const subject = `${where}: frames of ${spec.traffic.from}${spec.traffic.netns ? `/${spec.traffic.netns}` : ""} → ${spec.traffic.to}`;
  const expected = `ICMP to ${spec.traffic.to} ${describe(spec.vlan === null ? [] : [spec.vlan])}`;
  const detail = `${frames.length} frames captured, ${mine.length} of them echo requests to ${spec.traffic.to}`;
  if (mine.length === 0) return { subject, expected, actual: `no ICMP to ${spec.traffic.to} captured`, detail };
  const seen = [...new Set(mine.map((f) => describe(f.vlans)))];
  return { subject, expected, actual: `ICMP to ${spec.traffic.to} ${seen.join(" and ")}`, detail };
}
