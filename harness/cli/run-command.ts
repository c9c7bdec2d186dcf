import { rmSync } from "node:fs";
import { join } from "node:path";
import Mocha from "mocha";
import { InputError } from "../model/errors.ts";
import { planScenario, type Candidate, type ScenarioPlan } from "../run/plan.ts";
import { addScenarioSuite } from "../run/scenario-suite.ts";
import { downAll } from "../run/active-labs.ts";
import { writeResultsMeta } from "../report/results-meta.ts";
import { providersFor } from "../providers/registry.ts";
import { PROJECT_ROOT } from "../providers/state-root.ts";
import { loadScenarios } from "./load-scenarios.ts";

export interface RunOptions {
  readonly files: readonly string[];
  readonly provider: string;
  readonly grep?: string;
  readonly breakControl?: string;
  readonly resultsDir?: string;
  /** Fail instead of skipping when a scenario cannot run (CI: "every scenario executed"). */
  readonly forbidSkips?: boolean;
}

export interface RunSummary {
  readonly failures: number;
  readonly passes: number;
  readonly skipped: number;
  readonly plans: readonly ScenarioPlan[];
  readonly interrupted?: string;
}

export const DEFAULT_RESULTS_DIR = join(PROJECT_ROOT, "reports", "allure-results");

export async function runScenarios(options: RunOptions): Promise<RunSummary> {
  const loaded = loadScenarios(options.files);
  if (options.breakControl && !loaded.some(({ scenario }) => scenario.negative_controls.some((c) => c.id === options.breakControl)))
    throw new InputError(`--break ${options.breakControl}: no negative control with that id in the chosen scenarios`);

  const candidates: Candidate[] = [];
  for (const provider of providersFor(options.provider)) {
    const missing = await provider.probe();
    if (missing.length === 0) candidates.push({ provider, capabilities: () => provider.capabilities() });
    else if (options.provider !== "auto")
      throw new InputError(`provider ${provider.name} cannot run here:\n${missing.map((m) => `  missing ${m.what}: ${m.install}`).join("\n")}\n(see \`macvlab doctor\`)`);
  }
  const plans: ScenarioPlan[] = [];
  for (const { scenario, lab } of loaded) plans.push({ ...(await planScenario(scenario, lab, candidates)), breakControl: options.breakControl });
  const skippedPlans = plans.filter((p) => p.skipReason);
  if (options.forbidSkips && skippedPlans.length)
    throw new InputError(`skips are forbidden here, but:\n${skippedPlans.map((p) => `  ${p.scenario.id}: ${p.skipReason}`).join("\n")}`);

  const resultsDir = options.resultsDir ?? DEFAULT_RESULTS_DIR;
  rmSync(resultsDir, { recursive: true, force: true });
  const used = [...new Map(plans.filter((p) => p.provider && p.capabilities).map((p) => [p.provider!.name, p.capabilities!])).values()];
  const environment = {
    providers: used.map((c) => c.provider).join(", ") || "none",
    kernels: used.map((c) => `${c.provider}: ${c.kernel}`).join("; ") || "none",
    capabilities: used.map((c) => `${c.provider}: ${[...c.has].join(" ")}`).join("; ") || "none",
    node: process.version,
    scenarios: plans.map((p) => p.scenario.id).join(", "),
  };
  const mocha = new Mocha({
    reporter: "allure-mocha",
    reporterOptions: { resultsDir, extraReporters: "spec" },
    ...(options.grep ? { grep: options.grep } : {}),
  });
  for (const plan of plans) addScenarioSuite(mocha.suite, plan);

  let interrupted: string | undefined;
  const summary = await new Promise<RunSummary>((resolve) => {
    const runner = mocha.run(() => resolve({ failures: runner.stats?.failures ?? 0, passes: runner.stats?.passes ?? 0, skipped: runner.stats?.pending ?? 0, plans, interrupted }));
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) return;
      interrupted = signal;
      process.stderr.write(`\nmacvlab: ${signal} received: stopping and tearing the lab down…\n`);
      runner.abort();
      void downAll().then((lines) => {
        for (const line of lines) process.stderr.write(`macvlab: ${line}\n`);
        process.stderr.write(`macvlab: interrupted by ${signal}; nothing of the lab is left\n`);
        process.exit(130);
      });
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  writeResultsMeta(resultsDir, environment);
  return summary;
}
