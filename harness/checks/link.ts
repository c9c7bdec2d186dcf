import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { IfName, NodeName } from "../model/names.ts";
import { type IpLink, parseIpLinks } from "../parse/ip-json.ts";
import { type CheckKindModule, defineCheckKind } from "./check-kind.ts";
import {
  commandFailed,
  IFNAME_PATTERN,
  type InPlace,
  inPlace,
  oneOrNoPlace,
  PLACE_FIELDS,
  PLACE_PREFIX,
  where,
} from "./shared.ts";

const Flag = z.string().regex(/^[A-Z_]{2,20}$/, "a link flag as `ip link` prints it, e.g. UP, PROMISC, LOWER_UP");

const LinkSpec = z
  .strictObject({
    node: NodeName,
    ...PLACE_FIELDS,
    dev: IfName,
    exists: z.boolean().default(true),
    flags: z.array(Flag).optional(),
    without_flags: z.array(Flag).optional(),
    kind: z.enum(["macvlan", "macvtap", "ipvlan", "vlan", "veth", "bridge", "bond", "team"]).optional(),
    mode: z.enum(["bridge", "private", "vepa", "passthru", "source", "l2", "l3", "l3s"]).optional(),
    vlan_id: z.number().int().min(1).max(4094).optional(),
    parent: IfName.optional(),
    /** The bridge, bond or team the device is a port of. */
    master: IfName.optional(),
  })
  .refine(...oneOrNoPlace);
export type LinkCheckSpec = z.output<typeof LinkSpec>;

/** `ip -j [-d] link show dev X`, in a namespace when asked: shared with the `mac` kind. */
export function linkCommand(spec: InPlace & { readonly dev: string }, details: boolean): string {
  return inPlace(spec, `ip -j${details ? " -d" : ""} link show dev ${spec.dev}`);
}

export const LINK_COMMAND_PATTERN = new RegExp(`^${PLACE_PREFIX}ip -j( -d)? link show dev ${IFNAME_PATTERN}$`);

/** Only the facets the scenario asks for are compared, each rendered the same way on both sides. */
export function judgeLink(spec: LinkCheckSpec, link: IpLink | undefined, place: string): Outcome {
  const subject = `${place}: link ${spec.dev}`;
  if (!spec.exists)
    return { subject, expected: "absent", actual: link ? "present" : "absent", detail: link ? summary(link) : "" };
  const expected = facets(spec, undefined, true).join(", ");
  if (!link) return { subject, expected, actual: "absent", detail: `no device ${spec.dev}` };
  return { subject, expected, actual: facets(spec, link, false).join(", "), detail: summary(link) };
}

function facets(spec: LinkCheckSpec, link: IpLink | undefined, expected: boolean): string[] {
  const out = ["present"];
  const flags = link?.flags ?? [];
  for (const f of spec.flags ?? []) out.push(expected || flags.includes(f) ? f : `no ${f}`);
  for (const f of spec.without_flags ?? []) out.push(expected || !flags.includes(f) ? `not ${f}` : f);
  const kind = link?.linkinfo?.info_kind;
  const data = link?.linkinfo?.info_data;
  if (spec.kind) out.push(`kind ${expected ? spec.kind : (kind ?? "none")}`);
  if (spec.mode) out.push(`mode ${expected ? spec.mode : (data?.mode ?? "none")}`);
  if (spec.vlan_id !== undefined) out.push(`vlan ${expected ? spec.vlan_id : (data?.id ?? "none")}`);
  if (spec.parent) out.push(`parent ${expected ? spec.parent : (link?.link ?? "none")}`);
  if (spec.master) out.push(`master ${expected ? spec.master : (link?.master ?? "none")}`);
  return out;
}

export function summary(link: IpLink): string {
  const name = link.link ? `${link.ifname}@${link.link}` : link.ifname;
  const { info_kind: kind, info_data: data } = link.linkinfo ?? {};
  return [name, `<${link.flags.join(",")}>`, link.address, kind, data?.mode].filter(Boolean).join(" ");
}

/** A device on a node: present or absent, flags, kind, macvlan/ipvlan mode, VLAN id, parent, master. */
export const link: CheckKindModule<LinkCheckSpec> = defineCheckKind({
  schema: LinkSpec,
  summary: "`exists`, `flags` / `without_flags`, `kind`, macvlan/ipvlan `mode`, `vlan_id`, `parent`, `master`",
  example: { node: "node1", dev: "enp0s3.100", kind: "vlan", vlan_id: 100, flags: ["UP"] },
  nodeRefs: (spec) => [{ node: spec.node, path: ["node"] }],
  places: (spec) => [spec],
  commands: (spec) => [{ node: spec.node, command: linkCommand(spec, true) }],
  readOnly: [LINK_COMMAND_PATTERN],
  defaultDeadlineMs: () => 2000,
  oneShot: () => false,
  graded: true,
  async probe(spec, env, { checkId }) {
    const result = await env.exec(spec.node, linkCommand(spec, true));
    const missing = result.exitCode !== 0 && /does not exist/.test(result.stderr);
    if (result.failed && !missing) throw commandFailed(checkId, result);
    return judgeLink(spec, missing ? undefined : parseIpLinks(result.stdout)[0], where(spec));
  },
});
