import { hostname } from "node:os";
import { InputError } from "../model/errors.ts";
import { checkName, StudentId } from "../model/names.ts";
import { DEFAULT_RESULTS_DIR, writableStateRoot } from "../model/paths.ts";
import { providersFor } from "../providers/registry.ts";
import { loadScenarios } from "../scenario/load-all.ts";
import { stageNumbers } from "../scenario/schema.ts";
import { type Reporting, runSuites } from "./engine.ts";
import type { CheckGrade } from "./grade-check.ts";
import { type GradeSummary, summarize } from "./grade-summary.ts";
import { interruptible } from "./interrupt.ts";
import { lockLabs, releaseLocks } from "./lab-lock.ts";
import { checkOutputDir } from "./output-dir.ts";
import type { ScenarioPlan } from "./plan.ts";
import { assertChecksReadOnly } from "./read-only.ts";

export interface GradeOptions {
  readonly files: readonly string[];
  readonly provider: string;
  readonly reporting: Reporting;
  readonly student?: string;
  readonly passMarkPercent: number;
  readonly resultsDir?: string;
  /** A lab another process is changing (a run, `lab up`/`down`): wait for it instead of failing with exit 2. */
  readonly wait?: boolean;
  /** `--stage N`: grade only the checks of stages 1..N of scenarios that have stages. */
  readonly throughStage?: number;
}

/**
 * Grades the labs a student set up by hand: only the checks run (read-only, vetted up front), on the
 * lab as it is; no setup, no cleanup, no negative controls. Each lab is locked shared while graded:
 * other graders and shells may join, a run or `down` of it may not.
 */
export function gradeScenarios(options: GradeOptions): Promise<GradeSummary> {
  return interruptible(() => grade(options));
}

async function grade(options: GradeOptions): Promise<GradeSummary> {
  const resultsDir = checkOutputDir(options.resultsDir ?? DEFAULT_RESULTS_DIR, "--results");
  const student = studentId(options.student);
  const loaded = loadScenarios(options.files);
  writableStateRoot();
  for (const { scenario } of loaded) assertChecksReadOnly(scenario);
  const providers = providersFor(options.provider).filter((p) => p.attach);
  const running = new Map<string, (typeof providers)[number]>();
  for (const candidate of providers)
    for (const name of await candidate.list()) if (!running.has(name)) running.set(name, candidate);
  // Without files: every scenario whose lab is up (a trainer's lab serves the exercises written for it).
  const chosen = options.files.length ? loaded : loaded.filter(({ lab }) => running.has(lab.name));
  if (chosen.length === 0)
    throw new InputError("no lab is up: start one with `macvlab lab up <lab>`, or name the scenarios to grade");
  const plans: ScenarioPlan[] = chosen.map(({ scenario, lab }) => {
    const provider = running.get(lab.name);
    if (!provider) {
      const where = options.provider === "auto" ? "" : ` on ${options.provider}`;
      throw new InputError(
        `lab ${lab.name} (for ${scenario.id}) is not up${where}: start it with \`macvlab lab up ${lab.name}\` and do the exercise first`,
      );
    }
    return { scenario, lab, provider };
  });
  const through = options.throughStage;
  if (through !== undefined) {
    const staged = plans.filter((p) => p.scenario.stages.length > 0);
    if (staged.length === 0)
      throw new InputError(
        `--stage ${through}: ${plans.map((p) => p.scenario.id).join(", ")} ha${plans.length > 1 ? "ve" : "s"} no stages`,
      );
    const most = Math.max(...staged.map((p) => p.scenario.stages.length));
    if (through > most) throw new InputError(`--stage ${through}: the scenarios graded have at most ${most} stages`);
  }
  let grades: CheckGrade[] = [];
  const tampering: string[] = [];
  const locks = await lockLabs(
    plans.flatMap((p) => (p.provider ? [{ provider: p.provider.name, lab: p.lab.name }] : [])),
    "shared",
    options.wait,
  );
  const lookForTampering = async () => {
    for (const plan of plans) {
      const findings = (await plan.provider?.tamperFindings?.(plan.lab.name)) ?? [];
      tampering.push(...findings.map((f) => `lab ${plan.lab.name}: ${f}`));
    }
  };
  try {
    // Before the checks too: attaching puts back what the grader's login depends on (the nodes' passwd).
    await lookForTampering();
    await runSuites(plans, {
      mode: "grade",
      onGrade: (g) => grades.push(g),
      ...(through === undefined ? {} : { throughStage: through }),
      resultsDir,
      reporting: options.reporting,
    });
    // Still under the lock: what the checks ran was what the lab held while they ran.
    await lookForTampering();
  } finally {
    await releaseLocks(locks);
  }
  const graded = new Set(grades.map((g) => `${g.scenario}/${g.check}`));
  // A check that never reported (the connection to the lab broke) scores nothing.
  for (const { scenario } of plans) {
    const stageOf = stageNumbers(scenario);
    for (const check of scenario.checks) {
      const stage = stageOf.get(check.id);
      if (graded.has(`${scenario.id}/${check.id}`) || (through !== undefined && stage !== undefined && stage > through))
        continue;
      grades.push({
        scenario: scenario.id,
        check: check.id,
        title: check.title,
        points: check.points,
        earned: 0,
        status: "failed",
        hint: check.hint,
        reason: "not graded: the lab could not be reached",
        ...(stage === undefined ? {} : { stage }),
      });
    }
  }
  // Tampered tools or logins make every verdict worthless: no points, and the findings say why.
  if (tampering.length)
    grades = grades.map((g) => ({
      ...g,
      earned: 0,
      status: g.status === "passed" ? "failed" : g.status,
      reason:
        "withheld: the tools the checks run, or the way the grader reaches the nodes, were tampered with (see the findings)",
    }));
  return summarize(grades, {
    student,
    provider: [...new Set(plans.map((p) => p.provider?.name ?? "none"))].join(", "),
    passMarkPercent: options.passMarkPercent,
    labs: Object.fromEntries(plans.map((p) => [p.scenario.id, p.lab.name])),
    stages: Object.fromEntries(plans.map((p) => [p.scenario.id, p.scenario.stages.map((s) => s.title)])),
    ...(through === undefined ? {} : { throughStage: through }),
    ...(tampering.length ? { tampering: [...new Set(tampering)] } : {}),
  });
}

/** Who is graded: `--student`, else `$MACVLAB_STUDENT`, else `$USER@hostname`; each checked where it came from. */
function studentId(given: string | undefined): string {
  if (given !== undefined) return checkName(StudentId, given, "--student");
  const fromEnv = process.env.MACVLAB_STUDENT;
  if (fromEnv !== undefined) return checkName(StudentId, fromEnv, "MACVLAB_STUDENT");
  const fallback = `${process.env.USER ?? "student"}@${hostname()}`;
  return checkName(StudentId, fallback, "the default student id ($USER@hostname; set --student)");
}
