import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { IfName, Ipv4, NodeName, RouteDst } from "../model/names.ts";
import type { IpRoute } from "../parse/ip-json.ts";
import { parseIpRoutes } from "../parse/ip-json.ts";
import { sameDestination } from "../parse/ip-query.ts";
import { type CheckKindModule, defineCheckKind } from "./check-kind.ts";
import { inPlace, mustSucceed, oneOrNoPlace, PLACE_FIELDS, PLACE_PREFIX, where } from "./shared.ts";

const RouteSpec = z
  .strictObject({
    node: NodeName,
    ...PLACE_FIELDS,
    /** `default`, a prefix or a host; compared by meaning (default ≡ 0.0.0.0/0, a host ≡ its /32). */
    dst: RouteDst,
    dev: IfName.optional(),
    via: Ipv4.optional(),
    expect: z.enum(["present", "absent"]).default("present"),
  })
  .refine(...oneOrNoPlace);
export type RouteCheckSpec = z.output<typeof RouteSpec>;

const routeCommand = (spec: RouteCheckSpec) => inPlace(spec, "ip -j route show");

export function judgeRoute(spec: RouteCheckSpec, routes: readonly IpRoute[], place: string): Outcome {
  const wanted = describe(spec.dst, spec.dev, spec.via);
  const sameDst = routes.filter((r) => sameDestination(r.dst, spec.dst));
  const match = sameDst.find(
    (r) => (spec.dev === undefined || r.dev === spec.dev) && (spec.via === undefined || r.gateway === spec.via),
  );
  const detail = routes.map((r) => describe(r.dst, r.dev, r.gateway)).join("; ") || "empty route table";
  const subject = `${place}: route ${spec.dst}`;
  const seen = sameDst[0];
  if (spec.expect === "absent") {
    const actual = seen ? describe(spec.dst, seen.dev, seen.gateway) : `no route ${spec.dst}`;
    return { subject, expected: `no route ${spec.dst}`, actual, detail };
  }
  if (match) return { subject, expected: wanted, actual: wanted, detail };
  return {
    subject,
    expected: wanted,
    actual: seen ? describe(seen.dst, seen.dev, seen.gateway) : `no route ${spec.dst}`,
    detail,
  };
}

function describe(dst: string, dev?: string | null, via?: string | null): string {
  return [dst, via ? `via ${via}` : "", dev ? `dev ${dev}` : ""].filter(Boolean).join(" ");
}

/** A route in a node's (or namespace's) main table: present or absent, with dev and next hop. */
export const route: CheckKindModule<RouteCheckSpec> = defineCheckKind({
  schema: RouteSpec,
  summary: "`dst` (default, a prefix or a host, compared by meaning), `dev`, `via`; present / absent",
  example: { node: "node2", dst: "172.16.5.2/32", dev: "mac0" },
  nodeRefs: (spec) => [{ node: spec.node, path: ["node"] }],
  places: (spec) => [spec],
  commands: (spec) => [{ node: spec.node, command: routeCommand(spec) }],
  readOnly: [new RegExp(`^${PLACE_PREFIX}ip -j route show$`)],
  defaultDeadlineMs: () => 2000,
  oneShot: () => false,
  graded: true,
  async probe(spec, env, { checkId }) {
    const result = mustSucceed(checkId, await env.exec(spec.node, routeCommand(spec)));
    return judgeRoute(spec, parseIpRoutes(result.stdout), where(spec));
  },
});
