import type { LinkCheckSpec, MacCheckSpec } from "../model/scenario.ts";
import type { IpLink } from "../parse/ip-json.ts";
import type { Outcome } from "./outcome.ts";

/** Only the facets the scenario asks for are compared, each rendered the same way on both sides. */
export function expectLink(spec: LinkCheckSpec, link: IpLink | undefined, where: string): Outcome {
  const subject = `${where}: link ${spec.dev}`;
  if (!spec.exists) return { subject, expected: "absent", actual: link ? "present" : "absent", detail: link ? summary(link) : "" };
  if (!link) return { subject, expected: facets(spec, undefined, true).join(", "), actual: "absent", detail: `no device ${spec.dev}` };
  return { subject, expected: facets(spec, undefined, true).join(", "), actual: facets(spec, link, false).join(", "), detail: summary(link) };
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
  return out;
}

function summary(link: IpLink): string {
  const info = link.linkinfo ? ` ${link.linkinfo.info_kind ?? ""} ${link.linkinfo.info_data?.mode ?? ""}`.trimEnd() : "";
  return `${link.ifname}${link.link ? `@${link.link}` : ""} <${link.flags.join(",")}> ${link.address ?? ""}${info}`;
}

export function expectMac(spec: MacCheckSpec, a: IpLink | undefined, b: IpLink | undefined, whereA: string, whereB: string): Outcome {
  const detail = `${whereA} ${a?.address ?? "missing"}, ${whereB} ${b?.address ?? "missing"}`;
  const subject = `MAC of ${whereA} vs ${whereB}`;
  if (!a?.address || !b?.address) return { subject, expected: spec.expect, actual: "a device is missing", detail };
  return { subject, expected: spec.expect, actual: a.address.toLowerCase() === b.address.toLowerCase() ? "equal" : "different", detail };
}
