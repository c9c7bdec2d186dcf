import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { IfName, NodeName } from "../model/names.ts";
import { type IpLink, parseIpLinks } from "../parse/ip-json.ts";
import { type CheckKindModule, defineCheckKind, type ProbeEnv } from "./check-kind.ts";
import { LINK_COMMAND_PATTERN, linkCommand } from "./link.ts";
import { oneOrNoPlace, PLACE_FIELDS, where } from "./shared.ts";

const LinkRef = z.strictObject({ node: NodeName, ...PLACE_FIELDS, dev: IfName }).refine(...oneOrNoPlace);
type LinkRefSpec = z.output<typeof LinkRef>;

const MacSpec = z.strictObject({ a: LinkRef, b: LinkRef, expect: z.enum(["equal", "different"]) });
export type MacCheckSpec = z.output<typeof MacSpec>;

export function judgeMac(spec: MacCheckSpec, a: IpLink | undefined, b: IpLink | undefined): Outcome {
  const [whereA, whereB] = [`${where(spec.a)}:${spec.a.dev}`, `${where(spec.b)}:${spec.b.dev}`];
  const detail = `${whereA} ${a?.address ?? "missing"}, ${whereB} ${b?.address ?? "missing"}`;
  const subject = `MAC of ${whereA} vs ${whereB}`;
  if (!a?.address || !b?.address) return { subject, expected: spec.expect, actual: "a device is missing", detail };
  const same = a.address.toLowerCase() === b.address.toLowerCase();
  return { subject, expected: spec.expect, actual: same ? "equal" : "different", detail };
}

/** A device that is missing is "missing" in the verdict, not an error: that is often the point. */
async function readLink(env: ProbeEnv, side: LinkRefSpec): Promise<IpLink | undefined> {
  const result = await env.exec(side.node, linkCommand(side, false));
  return result.exitCode === 0 ? parseIpLinks(result.stdout)[0] : undefined;
}

/** Two devices' MAC addresses: equal (ipvlan, passthru) or different (macvlan). */
export const mac: CheckKindModule<MacCheckSpec> = defineCheckKind({
  schema: MacSpec,
  summary: "two devices' MAC addresses `equal` / `different`",
  example: { a: { node: "node1", dev: "enp0s3" }, b: { node: "node1", netns: "ns1", dev: "ipv1" }, expect: "equal" },
  nodeRefs: (spec) => [
    { node: spec.a.node, path: ["a", "node"] },
    { node: spec.b.node, path: ["b", "node"] },
  ],
  places: (spec) => [spec.a, spec.b],
  commands: (spec) => [spec.a, spec.b].map((side) => ({ node: side.node, command: linkCommand(side, false) })),
  readOnly: [LINK_COMMAND_PATTERN],
  defaultDeadlineMs: () => 2000,
  oneShot: () => false,
  graded: true,
  probe: async (spec, env) => judgeMac(spec, await readLink(env, spec.a), await readLink(env, spec.b)),
});
