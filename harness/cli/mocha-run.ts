import { rmSync } from "node:fs";
import Mocha from "mocha";
import { downAll } from "../run/active-labs.ts";
import type { ScenarioPlan } from "../run/plan.ts";
import { addScenarioSuite, type SuiteOptions } from "../run/scenario-suite.ts";
import { addRubricSuite } from "../run/rubric-suite.ts";
import { writeResultsMeta } from "../report/results-meta.ts";

export interface MochaRunSummary {
  readonly failures: number;
  readonly passes: number;
  readonly skipped: number;
}

/**
 * Runs scenario suites through mocha with the Allure reporter (and spec on the terminal). Ctrl-C or
 * SIGTERM stops the run, takes every lab down and exits 130, saying what it did.
 */
export async function runSuites(plans: readonly ScenarioPlan[], options: SuiteOptions & { resultsDir: string; grep?: string }): Promise<MochaRunSummary> {
  rmSync(options.resultsDir, { recursive: true, force: true });
  const used = [...new Map(plans.filter((p) => p.provider && p.capabilities).map((p) => [p.provider!.name, p.capabilities!])).values()];
  const environment = {
    mode: options.mode ?? "run",
    providers: used.map((c) => c.provider).join(", ") || "none",
    kernels: used.map((c) => `${c.provider}: ${c.kernel}`).join("; ") || "none",
    capabilities: used.map((c) => `${c.provider}: ${[...c.has].join(" ")}`).join("; ") || "none",
    node: process.version,
    scenarios: plans.map((p) => p.scenario.id).join(", "),
  };
  const mocha = new Mocha({ reporter: "allure-mocha", reporterOptions: { resultsDir: options.resultsDir, extraReporters: "spec" }, ...(options.grep ? { grep: options.grep } : {}) });
  for (const plan of plans) {
    if (options.mode === "rubric") addRubricSuite(mocha.suite, plan);
    else addScenarioSuite(mocha.suite, plan, options);
  }

  const summary = await new Promise<MochaRunSummary>((resolve) => {
    let interrupted = false;
    const runner = mocha.run(() => resolve({ failures: runner.stats?.failures ?? 0, passes: runner.stats?.passes ?? 0, skipped: runner.stats?.pending ?? 0 }));
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) return;
      interrupted = true;
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
  writeResultsMeta(options.resultsDir, environment);
  return summary;
}
