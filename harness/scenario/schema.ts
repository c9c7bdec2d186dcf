import { z } from "zod";
import { CHECK_KIND_NAMES, KIND_FIELDS } from "../checks/registry.ts";
import { CapabilityName } from "../model/capabilities.ts";
import { Id, IfName, LabName, NodeName } from "../model/names.ts";

/** A command on a node. `run` is the documents' own shell, verbatim where possible. */
export const CommandStep = z
  .strictObject({
    id: Id.optional(),
    node: NodeName,
    run: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** The documents say this command fails (e.g. a second passthru child): a `step` check asserts how. */
    expect_failure: z.boolean().default(false),
    timeout_ms: z.number().int().positive().max(600_000).default(30_000),
    /** A setup step of a scenario with stages: the stage it builds (default 1), for `lab up --solve … --to-stage N`. */
    stage: z.number().int().min(1).max(99).optional(),
  })
  .refine((step) => !step.expect_failure || typeof step.run === "string" || step.run.length === 1, {
    message: "a step with expect_failure runs exactly one command (otherwise an earlier failure would go unnoticed)",
    path: ["run"],
  });

/**
 * A switch-side action; only providers that own the switch can do it: hairpin (capability
 * switch-hairpin), the port's link down or up — a pulled and replugged cable (capability switch-link).
 */
export const SwitchPortStep = z.strictObject({
  id: Id.optional(),
  switch_port: z
    .strictObject({
      node: NodeName,
      nic: IfName,
      hairpin: z.boolean().optional(),
      link: z.enum(["up", "down"]).optional(),
    })
    .refine((port) => port.hairpin !== undefined || port.link !== undefined, {
      message: "a switch_port step sets hairpin, link, or both",
    }),
});

export const Step = z.union([CommandStep, SwitchPortStep]);

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
    /**
     * The check holds while the lab is changed: `do` before it looks (or, for a kind that measures
     * traffic through the change, in the middle of it), `undo` after, whatever the verdict. Such a check
     * changes the lab, so grading never runs it.
     */
    while: z
      .strictObject({
        /** What happens to the lab (a pulled cable, a port taken down). */
        title: z.string().min(1),
        do: z.array(Step).min(1),
        undo: z.array(Step).min(1),
      })
      .optional(),
    ...KIND_FIELDS,
  })
  .superRefine((check, ctx) => {
    const present = CHECK_KIND_NAMES.filter((k) => check[k] !== undefined);
    if (present.length !== 1) {
      const found = present.length ? present.join(", ") : "none";
      ctx.addIssue({
        code: "custom",
        message: `a check needs exactly one of ${CHECK_KIND_NAMES.join(", ")} (found ${found})`,
      });
    }
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

export const Source = z.strictObject({
  seed: z.string().regex(/^\d{3}$/, "a seed number like 001"),
  section: z.string().min(1),
});

/**
 * A part of an exercise, graded in order (`grade --stage N` grades stages 1..N): a title the task
 * sheet shows and the checks that belong to it. With stages, every check belongs to exactly one.
 */
export const Stage = z.strictObject({
  title: z.string().min(1),
  checks: z.array(Id).min(1),
});

export const ScenarioSchema = z.strictObject({
  id: Id,
  title: z.string().min(1),
  technology: z.enum(["macvlan", "802.1q", "ipvlan", "routing", "bridge", "bonding", "team"]),
  source: z.array(Source).min(1),
  lab: LabName,
  goal: z.string().min(1),
  requires: z.array(CapabilityName).default([]),
  severity: z.enum(["blocker", "critical", "normal", "minor", "trivial"]).default("normal"),
  tags: z.array(z.string().regex(/^[a-z0-9.-]+$/)).default([]),
  setup: z.array(Step).default([]),
  checks: z.array(Check).min(1),
  stages: z.array(Stage).default([]),
  negative_controls: z
    .array(NegativeControl)
    .min(1, "every scenario needs a negative control that proves its checks can fail"),
  cleanup: z.array(Step).default([]),
});

export type Scenario = z.infer<typeof ScenarioSchema> & { readonly file: string };
export type StepSpec = z.infer<typeof Step>;
export type CommandStepSpec = z.infer<typeof CommandStep>;
export type CheckSpec = z.infer<typeof Check>;
export type NegativeControlSpec = z.infer<typeof NegativeControl>;
export type StageSpec = z.infer<typeof Stage>;

/** Each check's stage (1-based), for a scenario with stages; empty without. */
export function stageNumbers(scenario: Pick<Scenario, "stages">): ReadonlyMap<string, number> {
  return new Map(scenario.stages.flatMap((stage, i) => stage.checks.map((id) => [id, i + 1] as const)));
}

export function isCommandStep(step: StepSpec): step is CommandStepSpec {
  return "node" in step;
}

export function commandsOf(step: CommandStepSpec): readonly string[] {
  return typeof step.run === "string" ? [step.run] : step.run;
}
