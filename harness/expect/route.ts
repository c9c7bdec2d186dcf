import type { RouteCheckSpec } from "../model/scenario.ts";
import type { IpRoute } from "../parse/ip-json.ts";
import type { Outcome } from "./outcome.ts";

export function expectRoute(spec: RouteCheckSpec, routes: readonly IpRoute[], where: string): Outcome {
  const wanted = describe(spec.dst, spec.dev, spec.via);
  const sameDst = routes.filter((r) => r.dst === spec.dst);
  const match = sameDst.find((r) => (spec.dev === undefined || r.dev === spec.dev) && (spec.via === undefined || r.gateway === spec.via));
  const detail = routes.map((r) => describe(r.dst, r.dev, r.gateway)).join("; ") || "empty route table";
  const subject = `${where}: route ${spec.dst}`;
  if (spec.expect === "absent") return { subject, expected: `no route ${spec.dst}`, actual: sameDst.length ? describe(spec.dst, sameDst[0]!.dev, sameDst[0]!.gateway) : `no route ${spec.dst}`, detail };
  if (match) return { subject, expected: wanted, actual: wanted, detail };
  const seen = sameDst[0];
  return { subject, expected: wanted, actual: seen ? describe(seen.dst, seen.dev, seen.gateway) : `no route ${spec.dst}`, detail };
}

function describe(dst: string, dev?: string | null, via?: string | null): string {
  return [dst, via ? `via ${via}` : "", dev ? `dev ${dev}` : ""].filter(Boolean).join(" ");
}
