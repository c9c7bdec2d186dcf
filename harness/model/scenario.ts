import { z } from "zod";
import { CapabilityName } from "./capabilities.ts";
import { Id, IfName, Ipv4, NetnsName, NodeName, RouteDst, SysctlKey } from "./names.ts";

/** A command on a node. `run` is the documents' own shell, verbatim where possible. */
export const CommandStep = z
  .strictObject({
    id: Id.optional(),
    node: NodeName,
    run: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** The documents say this command fails (e.g. a second passthru child): a `step` check asserts how. */
    expect_failure: z.boolean().default(false),
    timeout_ms: z.number().int().positive().max(600_000).default(30_000),
  })
  .refine((step) => !step.expect_failure || typeof step.run === "string" || step.run.length === 1, {
    message: "a step with expect_failure runs exactly one command (otherwise an earlier failure would go unnoticed)",
    path: ["run"],
  });

/** A switch-side action; only providers that own the switch can do it (capability switch-hairpin). */
export const SwitchPortStep = z.strictObject({
  id: Id.optional(),
  switch_port: z.strictObject({ node: NodeName, nic: IfName, hairpin: z.boolean() }),
});

export const Step = z.union([CommandStep, SwitchPortStep]);

/** Where a check looks: a node, or a namespace on it (the documents' "containers"). */
const On = { node: NodeName, netns: NetnsName.optional() };
const Flag = z.string().regex(/^[A-Z_]{2,20}$/, "a link flag as `ip link` prints it, e.g. UP, PROMISC, LOWER_UP");

export const PingCheck = z.strictObject({
  from: NodeName,
  netns: NetnsName.optional(),
  to: Ipv4,
  expect: z.enum(["reachable", "unreachable"]).default("reachable"),
  ttl: z.number().int().min(1).max(255).optional(),
  count: z.number().int().min(1).max(20).optional(),
  /** Highest acceptable loss in percent for a reachable check. @default 0 over the last attempt */
  max_loss: z.number().min(0).max(100).optional(),
});

export const RouteCheck = z.strictObject({
  ...On,
  dst: RouteDst,
  dev: IfName.optional(),
  via: Ipv4.optional(),
  expect: z.enum(["present", "absent"]).default("present"),
});

export const LinkCheck = z.strictObject({
  ...On,
  dev: IfName,
  exists: z.boolean().default(true),
  flags: z.array(Flag).optional(),
  without_flags: z.array(Flag).optional(),
  kind: z.enum(["macvlan", "macvtap", "ipvlan", "vlan", "veth", "bridge"]).optional(),
  mode: z.enum(["bridge", "private", "vepa", "passthru", "source", "l2", "l3", "l3s"]).optional(),
  vlan_id: z.number().int().min(1).max(4094).optional(),
  parent: IfName.optional(),
});

const LinkRef = z.strictObject({ ...On, dev: IfName });
export const MacCheck = z.strictObject({ a: LinkRef, b: LinkRef, expect: z.enum(["equal", "different"]) });

export const SysctlCheck = z.strictObject({ ...On, key: SysctlKey, value: z.string().regex(/^[0-9a-z ]{1,32}$/) });

/** Asserts on how a setup step ended: exit status and the error text the documents quote. */
export const StepCheck = z.strictObject({
  id: Id,
  exit: z.union([z.enum(["zero", "nonzero"]), z.number().int().min(0).max(255)]).default("nonzero"),
  stderr: z.string().optional(),
});

/** Frames on a NIC while a ping runs elsewhere: are they 802.1Q-tagged, and with which id (tcpdump -e). */
export const CaptureCheck = z.strictObject({
  node: NodeName,
  dev: IfName,
  traffic: z.strictObject({ from: NodeName, netns: NetnsName.optional(), to: Ipv4 }),
  /** The VLAN id the traffic's frames must carry on `dev`; null: they must be untagged. */
  vlan: z.number().int().min(1).max(4094).nullable(),
});

export const CHECK_KINDS = ["ping", "route", "link", "mac", "sysctl", "step", "capture"] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export const Check = z
  .strictObject({
    id: Id,
    title: z.string().min(1),
    points: z.number().int().min(0).max(100).default(1),
    hint: z.string().min(1),
    severity: z.enum(["blocker", "critical", "normal", "minor", "trivial"]).default("normal"),
    /** Checks this one depends on: when one of them fails, grading reports this one "blocked by" it. */
    needs: z.array(Id).default([]),
    /** The check legitimately holds on a lab before its setup (the self-validating rubric allows it). */
    holds_before_setup: z.boolean().default(false),
    /** How long a check may retry until the network converges (ARP, STP). */
    deadline_ms: z.number().int().min(200).max(120_000).optional(),
    ping: PingCheck.optional(),
    route: RouteCheck.optional(),
    link: LinkCheck.optional(),
    mac: MacCheck.optional(),
    sysctl: SysctlCheck.optional(),
    step: StepCheck.optional(),
    capture: CaptureCheck.optional(),
  })
  .superRefine((check, ctx) => {
    const present = CHECK_KINDS.filter((k) => check[k] !== undefined);
    if (present.length !== 1)
      ctx.addIssue({ code: "custom", message: `a check needs exactly one of ${CHECK_KINDS.join(", ")} (found ${present.length ? present.join(", ") : "none"})` });
  });

export const NegativeControl = z.strictObject({
  id: Id,
  title: z.string().min(1),
  /** Steps that remove one cause (ip_forward=0, another VLAN id, private mode). */
  break: z.array(Step).min(1),
  /** Checks that must fail once the cause is removed: proof that they can fail. */
  flips: z.array(Id).min(1),
  /** Steps that put the cause back; the flipped checks must then pass again. */
  restore: z.array(Step).default([]),
});

export const Source = z.strictObject({ seed: z.string().regex(/^\d{3}$/, "a seed number like 001"), section: z.string().min(1) });

export const ScenarioSchema = z.strictObject({
  id: Id,
  title: z.string().min(1),
  technology: z.enum(["macvlan", "802.1q", "ipvlan", "routing"]),
  source: z.array(Source).min(1),
  lab: Id,
  goal: z.string().min(1),
  requires: z.array(CapabilityName).default([]),
  severity: z.enum(["blocker", "critical", "normal", "minor", "trivial"]).default("normal"),
  tags: z.array(z.string().regex(/^[a-z0-9.-]+$/)).default([]),
  setup: z.array(Step).default([]),
  checks: z.array(Check).min(1),
  negative_controls: z.array(NegativeControl).min(1, "every scenario needs a negative control that proves its checks can fail"),
  cleanup: z.array(Step).default([]),
});

export type Scenario = z.infer<typeof ScenarioSchema> & { readonly file: string };
export type StepSpec = z.infer<typeof Step>;
export type CommandStepSpec = z.infer<typeof CommandStep>;
export type CheckSpec = z.infer<typeof Check>;
export type NegativeControlSpec = z.infer<typeof NegativeControl>;
export type PingCheckSpec = z.infer<typeof PingCheck>;
export type RouteCheckSpec = z.infer<typeof RouteCheck>;
export type LinkCheckSpec = z.infer<typeof LinkCheck>;
export type MacCheckSpec = z.infer<typeof MacCheck>;
export type SysctlCheckSpec = z.infer<typeof SysctlCheck>;
export type StepCheckSpec = z.infer<typeof StepCheck>;
export type CaptureCheckSpec = z.infer<typeof CaptureCheck>;

export function isCommandStep(step: StepSpec): step is CommandStepSpec {
  return "node" in step;
}

export function commandsOf(step: CommandStepSpec): readonly string[] {
  return typeof step.run === "string" ? [step.run] : step.run;
}
