import type { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import type { ShellResult } from "../transport/shell.ts";

/** Where a check looks: a node, a namespace on it (the documents' "containers"), or a Docker container on it. */
export interface Place {
  readonly node: string;
  readonly netns?: string;
  readonly container?: string;
}

/** A node a spec names, and where in the spec it is named (for `file:line:col` errors). */
export interface NodeRef {
  readonly node: string;
  readonly path: readonly PropertyKey[];
}

/** A setup step a spec reads, and where in the spec it is named. */
export interface StepRef {
  readonly stepId: string;
  readonly path: readonly PropertyKey[];
}

/** One command a check runs, and the node it runs on. */
export interface PlannedCommand {
  readonly node: string;
  readonly command: string;
}

/** How a setup step the documents expect to fail really ended. */
export interface StepOutcome {
  readonly command: string;
  readonly exitCode?: number;
  readonly stderr: string;
}

/** What every kind is told about the check it belongs to. */
export interface CheckContext {
  readonly checkId: string;
  /** The check's deadline (its own `deadline_ms`, or the kind's default). */
  readonly deadlineMs: number;
}

/**
 * What a check may do to a lab while it probes, given by the runner: run a command on a node (recorded
 * as a step of the report), attach what it saw, read how a setup step ended. Kinds never see a
 * provider, a transport or a reporter, so they stay testable with a fake.
 */
export interface ProbeEnv {
  exec(
    node: string,
    command: string,
    options?: { readonly timeoutMs?: number; readonly label?: string },
  ): Promise<ShellResult>;
  attach(name: string, content: string | Buffer, contentType: string): Promise<void>;
  stepResult(stepId: string): StepOutcome | undefined;
  sleep(ms: number): Promise<void>;
  /**
   * Makes the check's `while` change (a pulled cable) now, once; later calls and checks without one do
   * nothing. Only kinds that say `actsDuringProbe` call it; for the others it has happened before they look.
   */
  act(): Promise<void>;
}

/**
 * One kind of check (ping, route, link, …): everything the harness must know about it, in one place.
 * The registry (`registry.ts`) maps each kind's YAML key to its module; the scenario schema, the
 * loader's cross-checks, the runner, grading's read-only vetting and the evidence collector all read
 * it from there, so adding a kind is one module and one registry line.
 */
export interface CheckKindModule<Spec> {
  /** The kind's YAML block (`ping: { from, to, … }`), validated with file:line:col errors. */
  readonly schema: z.ZodType<Spec, unknown>;
  /** One line for the README. */
  readonly summary: string;
  /** A spec as a scenario would write it: the README shows it, the tests run every kind on it. */
  readonly example: Readonly<Record<string, unknown>>;
  /** Nodes the spec names, checked against the lab before anything starts. */
  nodeRefs(spec: Spec): readonly NodeRef[];
  /** Setup step ids the spec reads (a `step` check); each must exist with `expect_failure: true`. */
  stepRefs?(spec: Spec): readonly StepRef[];
  /** Where to collect evidence after a failure (every node is always included; namespaces come from here). */
  places(spec: Spec): readonly Place[];
  /** Every command the check runs, so grading can vet them all before touching a student's lab. */
  commands(spec: Spec, context: CheckContext): readonly PlannedCommand[];
  /**
   * The shapes of those commands, all inspectors: grading refuses a check that would run anything
   * else. A kind that changes the lab (a traffic generator, a failover) declares none and is not gradable.
   */
  readonly readOnly: readonly RegExp[];
  /** How long the check may wait for the network to converge when the scenario does not say. */
  defaultDeadlineMs(spec: Spec): number;
  /** One probe decides (it spends its whole deadline inside, or reads something that will not change). */
  oneShot(spec: Spec): boolean;
  /** The kind makes the check's `while` change itself, in the middle of what it measures (traffic through a failover). */
  readonly actsDuringProbe?: boolean;
  /** False for kinds that judge the harness's own setup rather than anything a student did. */
  readonly graded: boolean;
  /** Runs the check once and judges what came back. Throws CheckCommandError when it cannot look. */
  probe(spec: Spec, env: ProbeEnv, context: CheckContext): Promise<Outcome>;
}

/** Declares a kind with its spec type inferred from its schema. */
export function defineCheckKind<Schema extends z.ZodType<unknown, unknown>>(
  module: CheckKindModule<z.output<Schema>> & { readonly schema: Schema },
): CheckKindModule<z.output<Schema>> & { readonly schema: Schema } {
  return module;
}
