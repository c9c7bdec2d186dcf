import type { Capability } from "../model/capabilities.ts";
import { InfrastructureError } from "../model/errors.ts";
import type { Lab } from "../model/lab.ts";
import type { Shell } from "../transport/shell.ts";

/** Something a provider needs and this machine lacks, with the command that installs it. */
export interface Missing {
  readonly what: string;
  readonly install: string;
}

/** Measured, not assumed: each capability the provider has, and why each other one is absent. */
export interface CapabilityReport {
  readonly provider: string;
  readonly kernel: string;
  readonly has: ReadonlySet<Capability>;
  readonly absent: ReadonlyMap<Capability, string>;
}

export interface LabNode {
  readonly name: string;
  readonly shell: Shell;
}

export interface SwitchPortSettings {
  readonly hairpin?: boolean;
  /** The switch side of the cable: down is a pulled cable (the node's NIC loses carrier). */
  readonly link?: "up" | "down";
}

/** A lab that is up, as `Provider.up` or `Provider.attach` returned it; disposing it is `down()`. */
export interface StartedLab extends AsyncDisposable {
  readonly lab: Lab;
  readonly provider: string;
  readonly kernel: string;
  readonly nodes: readonly LabNode[];
  /** Throws on a name the lab does not have. */
  node(name: string): LabNode;
  /** Switch-side settings of the port a node's NIC plugs into (capabilities switch-hairpin, switch-link). */
  setSwitchPort(node: string, nic: string, settings: SwitchPortSettings): Promise<void>;
  /** The switch's own view (forwarding database, port flags), where the provider owns the switch. */
  switchEvidence?(): Promise<string>;
  /** The switch's ports as `bridge -j -d link show` prints them, where the provider owns the switch (a lab's state to compare). */
  switchPorts?(): Promise<string>;
  /**
   * Closes the harness's connections to the nodes and leaves the lab running, for later processes
   * (`macvlab lab up` for a trainer, then `attach` or `Provider.down`). A uml lab outlives this
   * process only when `up` was told so (`outlivesProcess`: its kernel then has a keeper); otherwise
   * a watchdog kills its kernel when the harness exits.
   */
  release(): Promise<void>;
  /**
   * Closes the connections, then tears the lab down, unless it came from `attach`: then it only
   * disconnects. Idempotent: a second call returns once the first has finished, with its outcome.
   */
  down(): Promise<void>;
}

/** How a run watches a lab being built. */
export interface UpOptions {
  /**
   * Called once, as soon as the lab's first resource exists (a fault-injection point: an interrupt
   * there must leave nothing). A rejection aborts the build like any failure of `up`.
   */
  readonly onFirstResource?: () => Promise<void>;
  /**
   * The lab is for later commands (`macvlab lab up`): a provider whose engine reaps a process's
   * resources when it exits (testcontainers' Ryuk) must not hand this one to it.
   */
  readonly outlivesProcess?: boolean;
}

/**
 * Whether a student who is root on a node is kept from this machine, the grader's files and other
 * labs (`lab up --as`): said plainly, with the reason, in `doctor` and where a class lab is made.
 */
export interface StudentIsolation {
  readonly isolates: boolean;
  readonly why: string;
}

export interface Provider {
  readonly name: string;
  studentIsolation(): StudentIsolation;
  /**
   * What a command on a node costs, relative to a namespace on this host (1): parallel runs hand out
   * the costliest scenarios first. A VM provider also says its labs go one at a time unless asked.
   */
  readonly commandCost: number;
  readonly oneLabAtATime?: boolean;
  /** What this machine lacks for the provider (empty: ready). */
  missingRequirements(): Promise<readonly Missing[]>;
  capabilities(): Promise<CapabilityReport>;
  /**
   * Brings a fresh lab up. A lab of that name that this machine still has is cleared first: a
   * crashed run's leftovers, and just as well one that is still up. A failed `up` stops what it
   * started and tears down what it built before rethrowing; uml alone leaves its state directory
   * (files, no process) to the next `up` or `down`.
   */
  up(lab: Lab, options?: UpOptions): Promise<StartedLab>;
  /**
   * Connects to a lab that another process brought up and released (`macvlab lab up`), to grade it
   * or open a shell, without changing it: the returned lab's `down()` only disconnects. A lab that
   * is not up is an InputError. Optional: `lab up`, `ssh` and `grade` only use providers that have it.
   */
  attach?(lab: Lab): Promise<StartedLab>;
  /**
   * Runs as the process that holds a lab for later commands (`macvlab keep <provider> <lab>`, which
   * the provider's own `up` starts when the lab must outlive it), until the lab is taken down;
   * returns the exit code. Only providers whose labs need a process to live offer it (uml).
   */
  keep?(labName: string): Promise<number>;
  /**
   * Tears a lab down from what this machine holds of it, without a StartedLab: a lab a trainer left
   * up, or a crashed run's leftovers. Idempotent: with nothing left it does nothing. Vagrant also
   * needs the lab file the lab was brought up from (its Vagrantfile reads it to destroy).
   */
  down(labName: string): Promise<void>;
  /**
   * What a student did to the tools the checks run (grading's integrity check), from outside the
   * nodes: each finding says where. Providers that cannot look (a VM's disk, a container) do not offer it.
   */
  tamperFindings?(labName: string): Promise<string[]>;
  /** Labs that have state on this machine: up, released, or left behind (a crashed run, a failed uml `up`). */
  list(): Promise<readonly string[]>;
}

/** The node of a started lab by name; a name the lab does not have is a broken lab, named with the ones it has. */
export function nodeNamed(labName: string, nodes: readonly LabNode[], name: string): LabNode {
  const found = nodes.find((n) => n.name === name);
  if (!found) {
    const known = nodes.map((n) => n.name).join(", ");
    throw new InfrastructureError(`lab ${labName} has no node "${name}" (nodes: ${known})`);
  }
  return found;
}
