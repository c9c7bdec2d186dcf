import { setTimeout } from "node:timers/promises";
import { InfrastructureError } from "../model/errors.ts";
import type { Lab } from "../model/lab.ts";
import type { Provider, StartedLab, UpOptions } from "../providers/provider.ts";
import { downTracked, upTracked } from "./active-labs.ts";
import { failpointArmed } from "./failpoint.ts";
import { interruption } from "./interrupt.ts";
import { type LabState, labState, labStateDiff } from "./lab-state.ts";

const SETTLE_READS = 3;
const SETTLE_MS = 500;

/** What the pool proves about a lab after a scenario's cleanup. */
export interface CleanupProof {
  /** Each difference from the lab as it came up, naming the node; empty: proven clean. */
  readonly leftovers: readonly string[];
}

/**
 * The labs of one process, reused with proof: each lab's state is read right after `up`; after a
 * scenario's cleanup it is read again, and only a lab whose every node (and switch port) is as it
 * came up is kept for the next scenario on it — any difference is that scenario's leftover, and the
 * lab is taken down, so the next scenario gets a fresh one. With `reuse` off (`--fresh-lab`) every
 * scenario gets a fresh lab and nothing is compared. A lab is kept only while a later scenario wants it.
 */
export class LabPool {
  private readonly idle = new Map<string, { readonly lab: StartedLab; readonly baseline: LabState }>();
  private readonly baselines = new Map<StartedLab, LabState>();
  private readonly wanted = new Map<string, number>();

  constructor(readonly reuse: boolean) {}

  /** How many scenarios, from the next one on, will ask for this lab (a lab nobody wants any more goes down). */
  want(provider: string, lab: string, count: number): void {
    this.wanted.set(keyOf(provider, lab), count);
  }

  /** A lab of this name is kept, proven clean: `acquire` will hand it out instead of building one. */
  holds(provider: string, lab: string): boolean {
    return this.idle.has(keyOf(provider, lab));
  }

  /**
   * A lab proven clean by the scenario before, or a fresh one (its state read right after `up`). A
   * fresh build that fails on the infrastructure (not on bad input) is built once more: nothing of the
   * scenario has run yet, and `rebuiltAfter` says why, for the report; a second failure is the scenario's.
   */
  async acquire(
    provider: Provider,
    lab: Lab,
    options?: UpOptions,
  ): Promise<{ lab: StartedLab; reused: boolean; rebuiltAfter?: string }> {
    const key = keyOf(provider.name, lab.name);
    this.wanted.set(key, Math.max(0, (this.wanted.get(key) ?? 0) - 1));
    const idle = this.idle.get(key);
    if (idle) {
      this.idle.delete(key);
      this.baselines.set(idle.lab, idle.baseline);
      return { lab: idle.lab, reused: true };
    }
    let started: StartedLab;
    let rebuiltAfter: string | undefined;
    try {
      started = await upTracked(provider, lab, options);
    } catch (error) {
      // A fault injected on purpose, or a stop asked for, must end the run as it is.
      if (!(error instanceof InfrastructureError) || interruption.aborted || failpointArmed()) throw error;
      rebuiltAfter = error.message;
      started = await upTracked(provider, lab, options);
    }
    if (this.reuse)
      try {
        this.baselines.set(started, await labState(started));
      } catch (error) {
        await downTracked(started);
        throw error;
      }
    return { lab: started, reused: false, ...(rebuiltAfter ? { rebuiltAfter } : {}) };
  }

  /**
   * The differences from the lab as it came up; undefined when reuse is off. Read again a few times
   * while there are any: the kernel dismantles a deleted network namespace (and the veth peers in it)
   * after `ip netns del` has returned.
   */
  async prove(started: StartedLab): Promise<CleanupProof | undefined> {
    const baseline = this.baselines.get(started);
    if (!baseline) return undefined;
    let leftovers = labStateDiff(baseline, await labState(started));
    for (let attempt = 1; leftovers.length > 0 && attempt < SETTLE_READS; attempt++) {
      await setTimeout(SETTLE_MS);
      leftovers = labStateDiff(baseline, await labState(started));
    }
    return { leftovers };
  }

  /** After a scenario: a lab proven clean that a later scenario wants is kept (true); any other goes down. */
  async release(started: StartedLab, proof: CleanupProof | undefined): Promise<boolean> {
    const baseline = this.baselines.get(started);
    this.baselines.delete(started);
    const key = keyOf(started.provider, started.lab.name);
    const keep = baseline && proof?.leftovers.length === 0 && (this.wanted.get(key) ?? 0) > 0 && !this.idle.has(key);
    if (keep) {
      this.idle.set(key, { lab: started, baseline });
      return true;
    }
    await downTracked(started);
    return false;
  }

  /** Takes down every lab kept for a lab other than this one (a job moving on to another lab). */
  async keepOnly(provider: string, lab: string): Promise<void> {
    const key = keyOf(provider, lab);
    for (const [other, { lab: kept }] of [...this.idle])
      if (other !== key) {
        this.idle.delete(other);
        await downTracked(kept);
      }
  }

  /** Takes down every lab still kept (the end of a run or a job). */
  async drain(): Promise<void> {
    const kept = [...this.idle.values()];
    this.idle.clear();
    for (const { lab } of kept) await downTracked(lab);
  }
}

function keyOf(provider: string, lab: string): string {
  return `${provider}\0${lab}`;
}
