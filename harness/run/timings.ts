import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { Lab } from "../model/lab.ts";
import { Id } from "../model/names.ts";
import { YamlSource } from "../model/yaml-source.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { ShardItem } from "./shard.ts";

/** Written beside a run's Allure results: how long each scenario took, lab up to lab down, in ms. */
export const TIMINGS_FILE = "macvlab-timings.json";

// Keys are scenario ids: nothing else (no "__proto__") can become a key of the merged object.
const TimingsSchema = z.object({ scenarios: z.record(Id, z.number().nonnegative().max(86_400_000)) }).strict();

export type Timings = Readonly<Record<string, number>>;

export function writeTimings(dir: string, timings: Timings, name = TIMINGS_FILE): void {
  writeFileSync(join(dir, name), `${JSON.stringify({ scenarios: timings }, null, 2)}\n`);
}

/** A timings file (bounded, validated like any input, errors with file:line:col); none when it is missing. */
export function readTimings(file: string): Timings {
  if (!existsSync(file)) return {};
  return YamlSource.read(file).validate(TimingsSchema, "timings file").scenarios;
}

/** Several runs' timings as one: the later file wins for a scenario both timed. */
export function mergeTimings(...timings: readonly Timings[]): Timings {
  return Object.assign({}, ...timings);
}

/**
 * A scenario's cost from its shape alone (lab build, checks, the negative controls' flips), in arbitrary
 * units: the fallback when no earlier run timed it.
 */
export function shapeCost(scenario: Scenario, lab: Lab): number {
  const flips = scenario.negative_controls.reduce((sum, control) => sum + control.flips.length, 0);
  return scenario.checks.length + 2 * flips + 5 * Object.keys(lab.nodes).length;
}

/**
 * What each scenario weighs for a split: the time an earlier run measured; else its shape scaled by what
 * timed scenarios took per unit of shape (the median), so timed and untimed scenarios compare.
 */
export function shardItems(loaded: ReadonlyArray<{ scenario: Scenario; lab: Lab }>, timings: Timings): ShardItem[] {
  const perUnit = loaded
    .filter(({ scenario }) => timings[scenario.id] !== undefined)
    .map(({ scenario, lab }) => (timings[scenario.id] ?? 0) / Math.max(1, shapeCost(scenario, lab)))
    .sort((a, b) => a - b);
  const scale = perUnit.length ? (perUnit[Math.floor(perUnit.length / 2)] ?? 1) : 1;
  return loaded.map(({ scenario, lab }) => ({
    key: scenario.id,
    weight: timings[scenario.id] ?? shapeCost(scenario, lab) * scale,
  }));
}
