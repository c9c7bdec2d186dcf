import { join } from "node:path";
import { hostname } from "node:os";
import { InputError } from "../model/errors.ts";
import type { CheckGrade } from "../run/grade-check.ts";
import type { ScenarioPlan } from "../run/plan.ts";
import { assertChecksReadOnly } from "../run/read-only.ts";
import { gradeTable, summarize, writeGradeFiles, type GradeSummary } from "../report/grade-report.ts";
import { providersFor } from "../providers/registry.ts";
import { PROJECT_ROOT } from "../providers/state-root.ts";
import { loadScenarios } from "./load-scenarios.ts";
import { runSuites } from "./mocha-run.ts";

export interface GradeOptions {
  readonly files: readonly string[];
  readonly provider: string;
  readonly student?: string;
  readonly passMarkPercent: number;
  readonly resultsDir?: string;
  readonly gradeFile?: string;
  readonly junitFile?: string;
}

/**
 * Grades the labs a student set up by hand: only the checks run (read-only, vetted up front), on the
 * lab as it is; no setup, no cleanup, no negative controls. Writes grade.json, JUnit XML and Allure results.
 */
export async function gradeScenarios(options: GradeOptions): Promise<{ summary: GradeSummary; table: string }> {
  const loaded = loadScenarios(options.files);
  for (const { scenario } of loaded) assertChecksReadOnly(scenario);
  const providers = providersFor(options.provider).filter((p) => p.attach);
  const plans: ScenarioPlan[] = [];
  const running = new Map<string, (typeof providers)[number]>();
  for (const candidate of providers) for (const name of await candidate.list()) if (!running.has(name)) running.set(name, candidate);
  // Without files: every scenario whose lab is up (a trainer's lab serves the exercises written for it).
  const chosen = options.files.length ? loaded : loaded.filter(({ lab }) => running.has(lab.name));
  if (chosen.length === 0) throw new InputError("no lab is up: start one with `macvlab lab up <lab>`, or name the scenarios to grade");
  for (const { scenario, lab } of chosen) {
    const provider = running.get(lab.name);
    if (!provider) throw new InputError(`lab ${lab.name} (for ${scenario.id}) is not up${options.provider === "auto" ? "" : ` on ${options.provider}`}: start it with \`macvlab lab up ${lab.name}\` and do the exercise first`);
    plans.push({ scenario, lab, provider });
  }
  const grades: CheckGrade[] = [];
  const resultsDir = options.resultsDir ?? join(PROJECT_ROOT, "reports", "allure-results");
  await runSuites(plans, { mode: "grade", onGrade: (g) => grades.push(g), resultsDir });
  const graded = new Set(grades.map((g) => `${g.scenario}/${g.check}`));
  // A check that never reported (the connection to the lab broke) scores nothing.
  for (const { scenario } of plans)
    for (const check of scenario.checks)
      if (!graded.has(`${scenario.id}/${check.id}`))
        grades.push({ scenario: scenario.id, check: check.id, title: check.title, points: check.points, earned: 0, status: "failed", hint: check.hint, reason: "not graded: the lab could not be reached" });
  const summary = summarize(grades, {
    student: options.student ?? process.env.MACVLAB_STUDENT ?? `${process.env.USER ?? "student"}@${hostname()}`,
    provider: [...new Set(plans.map((p) => p.provider!.name))].join(", "),
    passMarkPercent: options.passMarkPercent,
    labs: Object.fromEntries(plans.map((p) => [p.scenario.id, p.lab.name])),
  });
  writeGradeFiles(summary, {
    json: options.gradeFile ?? join(PROJECT_ROOT, "reports", "grade.json"),
    junit: options.junitFile ?? join(PROJECT_ROOT, "reports", "grade-junit.xml"),
  });
  return { summary, table: gradeTable(summary) };
}
