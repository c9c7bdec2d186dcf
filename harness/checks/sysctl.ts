import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { NodeName, SysctlKey } from "../model/names.ts";
import { type CheckKindModule, defineCheckKind } from "./check-kind.ts";
import { inPlace, mustSucceed, oneOrNoPlace, PLACE_FIELDS, PLACE_PREFIX, where } from "./shared.ts";

const SysctlSpec = z
  .strictObject({
    node: NodeName,
    ...PLACE_FIELDS,
    key: SysctlKey,
    value: z.string().regex(/^[0-9a-z ]{1,32}$/),
  })
  .refine(...oneOrNoPlace);
export type SysctlCheckSpec = z.output<typeof SysctlSpec>;

const sysctlCommand = (spec: SysctlCheckSpec) => inPlace(spec, `cat /proc/sys/${spec.key.replaceAll(".", "/")}`);

/** /proc/sys separates the values of a multi-valued setting with tabs ("4096\t131072\t6291456"); a spec, with spaces. */
export function judgeSysctl(spec: SysctlCheckSpec, value: string, place: string): Outcome {
  return {
    subject: `${place}: ${spec.key}`,
    expected: `${spec.key} = ${spec.value}`,
    actual: `${spec.key} = ${value.trim().split(/\s+/).join(" ")}`,
    detail: "",
  };
}

/** A kernel setting read from /proc/sys (net.ipv4.ip_forward and friends). */
export const sysctl: CheckKindModule<SysctlCheckSpec> = defineCheckKind({
  schema: SysctlSpec,
  summary: "a `/proc/sys` value (`key`, `value`)",
  example: { node: "node1", key: "net.ipv4.ip_forward", value: "1" },
  nodeRefs: (spec) => [{ node: spec.node, path: ["node"] }],
  places: (spec) => [spec],
  commands: (spec) => [{ node: spec.node, command: sysctlCommand(spec) }],
  readOnly: [new RegExp(`^${PLACE_PREFIX}cat /proc/sys/[a-z0-9_/.-]+$`)],
  defaultDeadlineMs: () => 2000,
  oneShot: () => false,
  graded: true,
  async probe(spec, env, { checkId }) {
    const result = mustSucceed(checkId, await env.exec(spec.node, sysctlCommand(spec)));
    return judgeSysctl(spec, result.stdout, where(spec));
  },
});
