import type { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { aggregate } from "./aggregate.ts";
import { capture } from "./capture.ts";
import type { CheckContext, CheckKindModule, NodeRef, Place, PlannedCommand, ProbeEnv, StepRef } from "./check-kind.ts";
import { counters } from "./counters.ts";
import { docker } from "./docker.ts";
import { fdb } from "./fdb.ts";
import { link } from "./link.ts";
import { mac } from "./mac.ts";
import { ping } from "./ping.ts";
import { route } from "./route.ts";
import { step } from "./step.ts";
import { sysctl } from "./sysctl.ts";
import { traffic } from "./traffic.ts";

/**
 * Every check kind, by the YAML key that selects it. The scenario schema, the loader, the runner,
 * grading and the evidence collector all read kinds from here: a kind is one module and one line.
 */
export const CHECK_KINDS = {
  ping,
  route,
  link,
  mac,
  sysctl,
  step,
  capture,
  aggregate,
  counters,
  traffic,
  fdb,
  docker,
} as const;

export type CheckKind = keyof typeof CHECK_KINDS;
export const CHECK_KIND_NAMES = Object.keys(CHECK_KINDS) as CheckKind[];

/** The spec type of one kind, as its schema outputs it. */
export type SpecOf<K extends CheckKind> = (typeof CHECK_KINDS)[K] extends CheckKindModule<infer S> ? S : never;

/** One optional YAML block per kind, for the check schema. */
export type KindFields = { [K in CheckKind]: z.ZodOptional<(typeof CHECK_KINDS)[K]["schema"]> };
export const KIND_FIELDS = Object.fromEntries(
  CHECK_KIND_NAMES.map((kind) => [kind, CHECK_KINDS[kind].schema.optional()]),
) as KindFields;

/** A check's one kind, with the module's operations bound to the check's own spec. */
export interface BoundCheck {
  readonly kind: CheckKind;
  readonly graded: boolean;
  readonly readOnly: readonly RegExp[];
  readonly defaultDeadlineMs: number;
  readonly oneShot: boolean;
  readonly actsDuringProbe: boolean;
  nodeRefs(): readonly NodeRef[];
  stepRefs(): readonly StepRef[];
  places(): readonly Place[];
  commands(context: CheckContext): readonly PlannedCommand[];
  probe(env: ProbeEnv, context: CheckContext): Promise<Outcome>;
}

type AnyKindFields = Partial<{ [K in CheckKind]: SpecOf<K> }> & { readonly id: string };

/** The kind present on a parsed check (the schema guarantees exactly one). */
export function kindOf(check: AnyKindFields): BoundCheck {
  for (const kind of CHECK_KIND_NAMES) {
    const spec = check[kind];
    // The registry pairs each key with the module whose schema produced that spec.
    if (spec !== undefined) return bind(kind, CHECK_KINDS[kind] as CheckKindModule<unknown>, spec);
  }
  throw new TypeError(`check ${check.id} has none of ${CHECK_KIND_NAMES.join(", ")}`);
}

function bind<Spec>(kind: CheckKind, module: CheckKindModule<Spec>, spec: Spec): BoundCheck {
  return {
    kind,
    graded: module.graded,
    readOnly: module.readOnly,
    defaultDeadlineMs: module.defaultDeadlineMs(spec),
    oneShot: module.oneShot(spec),
    actsDuringProbe: module.actsDuringProbe ?? false,
    nodeRefs: () => module.nodeRefs(spec),
    stepRefs: () => module.stepRefs?.(spec) ?? [],
    places: () => module.places(spec),
    commands: (context) => module.commands(spec, context),
    probe: (env, context) => module.probe(spec, env, context),
  };
}
