import { join } from "node:path";
import { InputError } from "../model/errors.ts";
import { planScenario, type Candidate, type ScenarioPlan } from "../run/plan.ts";
import { providersFor } from "../providers/registry.ts";
import { PROJECT_ROOT } from "../providers/state-root.ts";
import { loadScenarios } from "./load-scenarios.ts";
import { assertChecksReadOnly } from "../run/read-only.ts";
import { runSuites, type MochaRunSummary } from "./mocha-run.ts";

export interface RunOptions {
  readonly files: readonly string[];
  readonly provider: string;
  readonly grep?: string;
  readonly breakControl?: string;
  readonly resultsDir?: string;
  /** Fail instead of skipping when a scenario cannot run (CI: "every scenario executed"). */
  readonly forbidSkips?: boolean;
  /** "rubric": validate the scenarios' checks themselves instead of running them (see rubric-suite.ts). */
  readonly mode?: "run" | "rubric";
}

export interface RunSummary extends MochaRunSummary {
  readonly plans: readonly ScenarioPlan[];
}

export const DEFAULT_RESULTS_DIR = join(PROJECT_ROOT, "reports", "allure-results");

/** The installed providers to choose from, in order of speed; a named provider that is missing is bad input. */
export async function candidatesFor(choice: string): Promise<Candidate[]> {
  const candidates: Candidate[] = [];
  for (const provider of providersFor(choice)) {
    const missing = await provider.missingRequirements();
    if (missing.length === 0) candidates.push({ provider, capabilities: () => provider.capabilities() });
    else if (choice !== "auto")
      throw new InputError(`provider ${provider.name} cannot run here:\n${missing.map((m) => `  missing ${m.what}: ${m.install}`).join("\n")}\n(see \`macvlab doctor\`)`);
  }
  return candidates;
}

export async function runScenarios(options: RunOptions): Promise<RunSummary> {
  const loaded = loadScenarios(options.files);
  if (options.breakControl && !loaded.some(({ scenario }) => scenario.negative_controls.some((c) => c.id === options.breakControl)))
    throw new InputError(`--break ${options.breakControl}: no negative control with that id in the chosen scenarios`);
  const candidates = await candidatesFor(options.provider);
  const plans: ScenarioPlan[] = [];
  for (const { scenario, lab } of loaded) plans.push({ ...(await planScenario(scenario, lab, candidates)), breakControl: options.breakControl });
  const skipped = plans.filter((p) => p.skipReason);
  if (options.forbidSkips && skipped.length)
    throw new InputError(`skips are forbidden here, but:\n${skipped.map((p) => `  ${p.scenario.id}: ${p.skipReason}`).join("\n")}`);
  if (options.mode === "rubric") for (const { scenario } of loaded) assertChecksReadOnly(scenario);
  const summary = await runSuites(plans, { resultsDir: options.resultsDir ?? DEFAULT_RESULTS_DIR, grep: options.grep, mode: options.mode ?? "run" });
  return { ...summary, plans };
}
