import type { Capability } from "../model/capabilities.ts";
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
  readonly hairpin: boolean;
}

export interface StartedLab extends AsyncDisposable {
  readonly lab: Lab;
  readonly provider: string;
  readonly kernel: string;
  readonly nodes: readonly LabNode[];
  /** Throws on a name the lab does not have. */
  node(name: string): LabNode;
  /** Switch-side settings of the port a node's NIC plugs into (capability switch-hairpin). */
  setSwitchPort(node: string, nic: string, settings: SwitchPortSettings): Promise<void>;
  /** The switch's own view (forwarding database, port flags), where the provider owns the switch. */
  switchEvidence?(): Promise<string>;
  /** Close connections but leave the lab running (`macvlab up` for a trainer). */
  release(): Promise<void>;
  /** Idempotent: the second call returns once the first has finished. */
  down(): Promise<void>;
}

export interface Provider {
  readonly name: string;
  /** What this machine lacks for the provider (empty: ready). */
  missingRequirements(): Promise<readonly Missing[]>;
  capabilities(): Promise<CapabilityReport>;
  up(lab: Lab): Promise<StartedLab>;
  /**
   * Connects to a lab that is already up (brought up earlier by `macvlab lab up`), for grading:
   * its `down()` only disconnects. Providers whose labs live only as long as their process lack it.
   */
  attach?(lab: Lab): Promise<StartedLab>;
  /** Tears a lab down from its state alone (a crashed run's leftovers included). Idempotent. */
  down(labName: string): Promise<void>;
  /** Labs that have state on this machine. */
  list(): Promise<readonly string[]>;
}
