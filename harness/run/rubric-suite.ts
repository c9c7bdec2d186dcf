import { AssertionError } from "chai";
import Mocha from "mocha";
import { InfrastructureError } from "../model/errors.ts";
import type { StartedLab } from "../providers/provider.ts";
import type { ShellResult } from "../transport/shell.ts";
import { downTracked, upTracked } from "./active-labs.ts";
import { failpoint, failpointArmed } from "./failpoint.ts";
import { type CheckGrade, gradeCheck, notGradedReason } from "./grade-check.ts";
import { probeEnv } from "./judge.ts";
import type { ScenarioPlan } from "./plan.ts";
import { progress } from "./progress.ts";
import type { Recorder } from "./recorder.ts";
import { runSteps } from "./steps.ts";

/**
 * The self-validating rubric: on a fresh lab, grade before the setup (every check must fail or be
 * blocked, unless it declares `holds_before_setup`), after it (every check must pass), and after each
 * negative control's mistake (exactly the checks it `flips` must be lost — no more, no fewer).
 * A check that passes on an unsolved lab, or a mistake that costs other points than declared, is a
 * defect of the scenario, and fails the build.
 */
export function addRubricSuite(parent: Mocha.Suite, plan: ScenarioPlan, recorder: Recorder): void {
  const { scenario } = plan;
  const suite = Mocha.Suite.create(
    parent,
    `rubric of ${scenario.id}${plan.skipReason ? ` (skipped: ${plan.skipReason})` : ""}`,
  );
  suite.file = scenario.file;
  suite.timeout(failpointArmed() ? 0 : 600_000);
  let lab: StartedLab | undefined;
  const steps = new Map<string, ShellResult>();
  const add = (title: string, body: (this: Mocha.Context) => Promise<void>) => {
    const test = new Mocha.Test(title, body);
    test.file = scenario.file;
    suite.addTest(test);
  };
  const started = (): StartedLab => {
    if (!lab) throw new InfrastructureError(`lab ${plan.lab.name} is not up`);
    return lab;
  };
  const gradeAll = async (): Promise<CheckGrade[]> => {
    const passed = new Set<string>();
    const grades: CheckGrade[] = [];
    for (const check of scenario.checks) {
      const grade = await gradeCheck(scenario.id, check, probeEnv(started(), recorder, steps), passed);
      if (grade.status === "passed") passed.add(check.id);
      grades.push(grade);
    }
    return grades;
  };

  const { provider } = plan;
  if (plan.skipReason || !provider) {
    add("rubric", async function () {
      this.skip();
    });
    return;
  }
  suite.beforeAll(`bring up a bare lab ${plan.lab.name} on ${provider.name}`, async () => {
    progress(`rubric ${scenario.id}: bare lab ${plan.lab.name} (${provider.name})`);
    lab = await upTracked(provider, plan.lab, { onFirstResource: () => failpoint("build") });
  });

  add("before the setup, every check fails (a check that holds on a bare lab proves nothing)", async () => {
    await failpoint("checks");
    const holding = (await gradeAll()).filter(
      (g) => g.status === "passed" && !scenario.checks.some((c) => c.id === g.check && c.holds_before_setup),
    );
    if (holding.length)
      throw new AssertionError(
        `${scenario.id}: these checks pass on a lab nobody set up (give them \`needs\`, tighten them, or declare holds_before_setup): ${holding.map((g) => g.check).join(", ")}`,
      );
  });

  add("after the setup, every check passes", async () => {
    await failpoint("setup");
    await runSteps(started(), scenario.setup, steps, { recorder });
    const lost = (await gradeAll()).filter((g) => g.status === "failed" || g.status === "blocked");
    if (lost.length)
      throw new AssertionError(
        `${scenario.id}: after its own setup: ${lost.map((g) => `${g.check} (${g.reason ?? `expected ${g.expected}, saw ${g.actual}`})`).join("; ")}`,
      );
  });

  for (const control of scenario.negative_controls)
    add(`the mistake "${control.title}" costs exactly the points of ${control.flips.join(", ")}`, async () => {
      await runSteps(started(), control.break, steps, { recorder });
      const lost = new Set(
        (await gradeAll()).filter((g) => g.status === "failed" || g.status === "blocked").map((g) => g.check),
      );
      // A check grading leaves out (it changes the lab) is proven by the run's negative controls instead.
      const ungraded = new Set(scenario.checks.filter((c) => notGradedReason(c)).map((c) => c.id));
      const declared = new Set(control.flips.filter((id) => !ungraded.has(id)));
      const extra = [...lost].filter((id) => !declared.has(id));
      const kept = [...declared].filter((id) => !lost.has(id));
      await runSteps(started(), control.restore, steps, { recorder });
      if (extra.length || kept.length)
        throw new AssertionError(
          `${scenario.id} / ${control.id}: ${extra.length ? `also lost ${extra.join(", ")} (add them to flips)` : ""}${extra.length && kept.length ? "; " : ""}${kept.length ? `still passed ${kept.join(", ")} (they cannot detect this mistake)` : ""}`,
        );
    });

  suite.afterAll(`bring down lab ${plan.lab.name}`, async () => {
    if (!lab) return;
    const current = lab;
    lab = undefined;
    await failpoint("teardown");
    await downTracked(current);
  });
}
