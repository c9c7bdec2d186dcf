import * as allure from "allure-js-commons";
import Mocha from "mocha";
import type { CheckSpec, NegativeControlSpec } from "../model/scenario.ts";
import { assertOutcome, assertOutcomeFails, holds, type Outcome } from "../expect/index.ts";
import type { StartedLab } from "../providers/provider.ts";
import type { ShellResult } from "../transport/shell.ts";
import { track, untrack } from "./active-labs.ts";
import { defaultDeadlineMs, probeCheck } from "./check-probe.ts";
import { attachEvidence } from "./evidence.ts";
import type { ScenarioPlan } from "./plan.ts";
import { progress } from "./progress.ts";
import { retryUntil } from "./retry.ts";
import { runSteps } from "./steps.ts";

const HOOK_TIMEOUT_MS = 180_000;

/**
 * A scenario as a mocha `describe`: lab up + setup in `before`, one `it` per check (retrying until its
 * deadline), each negative control as a nested `describe` proving its checks can fail, and cleanup +
 * lab down in `after` (mocha runs it on failure too; Ctrl-C is handled by the CLI via active-labs).
 */
export function addScenarioSuite(parent: Mocha.Suite, plan: ScenarioPlan): Mocha.Suite {
  const { scenario } = plan;
  const suite = Mocha.Suite.create(parent, `${scenario.id}: ${scenario.title}${plan.skipReason ? ` (skipped: ${plan.skipReason})` : ""}`);
  suite.timeout(HOOK_TIMEOUT_MS);
  // allure-mocha needs every runnable to have a file (programmatic tests have none): use the scenario's.
  suite.file = scenario.file;
  const addTest = (to: Mocha.Suite, title: string, body: (this: Mocha.Context) => Promise<void>, timeoutMs?: number) => {
    const test = new Mocha.Test(title, body);
    test.file = scenario.file;
    if (timeoutMs !== undefined) test.timeout(timeoutMs);
    to.addTest(test);
  };
  let lab: StartedLab | undefined;
  const stepOutcomes = new Map<string, ShellResult>();
  const started = (): StartedLab => {
    if (!lab) throw new Error(`lab ${plan.lab.name} is not up`);
    return lab;
  };

  const metadata = async (check: CheckSpec, variant?: { story: string; testCaseId: string }) => {
    await allure.epic(scenario.technology);
    await allure.feature(`${scenario.id}: ${scenario.title}`);
    await allure.story(variant?.story ?? check.title);
    await allure.severity(check.severity);
    await allure.tags(...scenario.tags);
    await allure.label("source", scenario.source.map((s) => `seed ${s.seed} ${s.section}`).join("; "));
    await allure.label("points", String(check.points));
    await allure.testCaseId(variant?.testCaseId ?? `${scenario.id}/${check.id}`);
    await allure.parameter("provider", plan.provider?.name ?? "none");
    await allure.parameter("kernel", plan.capabilities?.kernel ?? "unknown", { excluded: true });
    await allure.description(`${scenario.goal}\n\n**Check:** ${check.title} (${check.points} point${check.points === 1 ? "" : "s"})\n\n**Hint when it fails:** ${check.hint}`);
  };

  const judge = async (check: CheckSpec, wantFailure: string | undefined): Promise<Outcome> => {
    const deadline = defaultDeadlineMs(check);
    // An unreachable ping spends its whole deadline in one probe; a step check reads a recorded result.
    const oneShot = check.step !== undefined || check.capture !== undefined || check.ping?.expect === "unreachable";
    const wanted = wantFailure ? (o: Outcome) => !holds(o) : holds;
    const { result } = await retryUntil(() => probeCheck(check, { lab: started(), steps: stepOutcomes }, deadline), wanted, oneShot ? 0 : deadline);
    await allure.attachment("verdict", `expected: ${result.expected}\nactual:   ${result.actual}\n${result.detail}`, "text/plain");
    return result;
  };

  if (plan.skipReason) {
    for (const check of scenario.checks)
      addTest(suite, `${check.id}: ${check.title}`, async function () {
        await metadata(check);
        await allure.description(`Skipped: ${plan.skipReason}`);
        this.skip();
      });
    return suite;
  }

  suite.beforeAll(`bring up lab ${plan.lab.name} on ${plan.provider!.name} and run setup`, async () => {
    progress(`${scenario.id}: lab ${plan.lab.name} up (${plan.provider!.name})`);
    try {
      lab = track(await plan.provider!.up(plan.lab));
    } catch (error) {
      // The provider's own words (a UML console log, sshd's stderr) as a file of their own in the report.
      await allure.attachment(`lab ${plan.lab.name} failed to come up`, (error as Error).message, "text/plain");
      throw error;
    }
    await runSteps(lab, scenario.setup, stepOutcomes);
    const broken = scenario.negative_controls.find((c) => c.id === plan.breakControl);
    if (broken) {
      progress(`${scenario.id}: breaking the lab on purpose: ${broken.title}`);
      await allure.step(`break on purpose: ${broken.title}`, () => runSteps(started(), broken.break, stepOutcomes));
    }
  });

  for (const check of scenario.checks) {
    addTest(suite, `${check.id}: ${check.title}`, async () => {
      await metadata(check);
      const outcome = await judge(check, undefined);
      if (!holds(outcome)) await attachEvidence(started(), check);
      assertOutcome(outcome);
    }, defaultDeadlineMs(check) + 60_000);
  }

  if (!plan.breakControl) for (const control of scenario.negative_controls) addNegativeControl(suite, control);

  suite.afterAll(`cleanup and bring down lab ${plan.lab.name}`, async () => {
    if (!lab) return;
    const current = lab;
    lab = undefined;
    try {
      await runSteps(current, scenario.cleanup, stepOutcomes, { tolerateFailures: true });
    } finally {
      untrack(current);
      await current.down();
      progress(`${scenario.id}: lab ${plan.lab.name} down`);
    }
  });
  return suite;

  function addNegativeControl(parentSuite: Mocha.Suite, control: NegativeControlSpec): void {
    const controlSuite = Mocha.Suite.create(parentSuite, `negative control ${control.id}: ${control.title}`);
    controlSuite.file = scenario.file;
    controlSuite.beforeAll(`break: ${control.title}`, async () => {
      progress(`${scenario.id}: negative control ${control.id}`);
      await runSteps(started(), control.break, stepOutcomes);
    });
    const flipped = control.flips.map((id) => scenario.checks.find((c) => c.id === id)!);
    for (const check of flipped) {
      addTest(controlSuite, `${check.id} fails when: ${control.title}`, async () => {
        await metadata(check, { story: `${check.title} — negative control`, testCaseId: `${scenario.id}/${control.id}/${check.id}` });
        assertOutcomeFails(await judge(check, control.title), `with ${control.title}`);
      }, defaultDeadlineMs(check) + 60_000);
    }
    if (control.restore.length === 0) return;
    const restored = Mocha.Suite.create(controlSuite, `restored: ${control.id}`);
    restored.file = scenario.file;
    restored.beforeAll(`restore after ${control.title}`, () => runSteps(started(), control.restore, stepOutcomes));
    for (const check of flipped) {
      addTest(restored, `${check.id} passes again after restoring`, async () => {
        await metadata(check, { story: `${check.title} — restored`, testCaseId: `${scenario.id}/${control.id}/${check.id}/restored` });
        assertOutcome(await judge(check, undefined));
      }, defaultDeadlineMs(check) + 60_000);
    }
  }
}
