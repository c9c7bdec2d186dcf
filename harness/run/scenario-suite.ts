import { pathToFileURL } from "node:url";
import { AssertionError } from "chai";
import Mocha from "mocha";
import { assertOutcome, assertOutcomeFails, holds, type Outcome } from "../expect/outcome.ts";
import { InfrastructureError, InputError } from "../model/errors.ts";
import type { Lab } from "../model/lab.ts";
import { articleFile } from "../model/paths.ts";
import type { Provider, StartedLab } from "../providers/provider.ts";
import { renderSvg } from "../scenario/render-svg.ts";
import {
  type CheckSpec,
  commandsOf,
  isCommandStep,
  type NegativeControlSpec,
  type Scenario,
  type StepSpec,
} from "../scenario/schema.ts";
import { type DrawnVerdict, topologyDot } from "../scenario/topology.ts";
import type { ShellResult } from "../transport/shell.ts";
import { attachTracked, downTracked } from "./active-labs.ts";
import { type ClaimRow, claimsCsv, recordClaim } from "./claims.ts";
import { attachEvidence } from "./evidence.ts";
import { failpoint, failpointArmed } from "./failpoint.ts";
import { type CheckGrade, gradeCheck, stagePlan } from "./grade-check.ts";
import { deadlineOf, judgeCheck, type PerformSteps, probeEnv } from "./judge.ts";
import { type CleanupProof, LabPool } from "./lab-pool.ts";
import type { ScenarioPlan } from "./plan.ts";
import { progress } from "./progress.ts";
import type { Recorder } from "./recorder.ts";
import { runSteps } from "./steps.ts";

/** A hook's budget for bringing a lab up, beyond the commands it runs. */
const HOOK_TIMEOUT_MS = 180_000;

/**
 * Every command has its own deadline, so a hook (setup, a control's break or restore, cleanup) is given
 * at least the sum of its commands' deadlines: a scenario that allows its commands longer (Docker
 * inside UML) is not cut short by the hook around them.
 */
export function hookTimeoutMs(scenario: Scenario): number {
  const budget = (steps: readonly StepSpec[]) =>
    steps.reduce((sum, step) => sum + (isCommandStep(step) ? commandsOf(step).length * step.timeout_ms : 0), 0);
  const lists = [scenario.setup, scenario.cleanup, ...scenario.negative_controls.flatMap((c) => [c.break, c.restore])];
  return HOOK_TIMEOUT_MS + Math.max(0, ...lists.map(budget));
}

const CLEANUP_TEST_TITLE = "cleanup: every node is left as the lab came up";

export interface SuiteOptions {
  readonly recorder: Recorder;
  /** "run": a fresh lab, setup, checks, negative controls, cleanup. "grade": checks only, on a lab that is up. */
  readonly mode?: "run" | "grade" | "rubric";
  /** Grade mode: every check's grade, in order. */
  readonly onGrade?: (grade: CheckGrade) => void;
  /** Grade mode, `--stage N`: only the checks of stages 1..N are graded. */
  readonly throughStage?: number;
  /** Where labs come from and go back to (reuse with proof); without one, a fresh lab per scenario. */
  readonly pool?: LabPool;
  /** Each check's claim and what was measured, as it is judged (run mode, not the negative controls). */
  readonly onClaim?: (row: ClaimRow) => void;
  /** How often a failed check is judged again from scratch (`--retries`); one that passes then is flaky. */
  readonly retries?: number;
  /** The scenario's wall time, lab up to lab down, once it is down (the shards' weights next time). */
  readonly onDuration?: (scenarioId: string, ms: number) => void;
}

/** By suite, then test title: mocha runs a retry as a clone of the test, which keeps only its title and suite. */
const caseIds = new WeakMap<Mocha.Suite, Map<string, string>>();

/** The testCaseId of a test that judges a check (`scenario/check`, `scenario/control/check`…), for the run's tally. */
export function caseIdOf(test: Mocha.Runnable): string | undefined {
  return test.parent ? caseIds.get(test.parent)?.get(test.title) : undefined;
}

/**
 * A scenario as a mocha `describe`: lab up + setup in `before`, one `it` per check (retrying until its
 * deadline), each negative control as a nested `describe` proving its checks can fail, and cleanup +
 * lab down in `after` (mocha runs it on failure too; a signal is handled by interrupt.ts via active-labs).
 * In grade mode the lab is the student's: attach, check, detach — no setup, no cleanup, no controls.
 */
export function addScenarioSuite(parent: Mocha.Suite, plan: ScenarioPlan, options: SuiteOptions): Mocha.Suite {
  const { scenario } = plan;
  const { recorder } = options;
  const grading = options.mode === "grade";
  const suite = Mocha.Suite.create(
    parent,
    `${scenario.id}: ${scenario.title}${plan.skipReason ? ` (skipped: ${plan.skipReason})` : ""}`,
  );
  suite.timeout(failpointArmed() ? 0 : hookTimeoutMs(scenario));
  // allure-mocha needs every runnable to have a file (programmatic tests have none): use the scenario's.
  suite.file = scenario.file;
  const addTest = (
    to: Mocha.Suite,
    title: string,
    body: (this: Mocha.Context) => Promise<void>,
    timeoutMs?: number,
    caseId?: string,
  ) => {
    const test = new Mocha.Test(title, body);
    test.file = scenario.file;
    if (timeoutMs !== undefined) test.timeout(timeoutMs);
    to.addTest(test);
    // Checks only read the lab, so judging one again is safe; steps that change it (cleanup) never retry.
    // After addTest, which hands the test its suite's retries.
    if (caseId !== undefined) {
      caseIds.set(to, (caseIds.get(to) ?? new Map()).set(title, caseId));
      test.retries(options.retries ?? 0);
    }
  };
  let lab: StartedLab | undefined;
  const stepOutcomes = new Map<string, ShellResult>();
  const passed = new Set<string>();
  const started = (): StartedLab => {
    if (!lab) throw new InfrastructureError(`lab ${plan.lab.name} is not up`);
    return lab;
  };
  const env = () => probeEnv(started(), recorder, stepOutcomes);

  const metadata = (check: CheckSpec, variant?: { story: string; testCaseId: string }) =>
    recorder.describeTest({
      epic: scenario.technology,
      feature: `${scenario.id}: ${scenario.title}`,
      story: variant?.story ?? check.title,
      severity: check.severity,
      tags: scenario.tags,
      labels: {
        source: scenario.source.map((s) => `seed ${s.seed} ${s.section}`).join("; "),
        points: String(check.points),
        // The report's tree: scenario, then its checks beside its negative controls and cleanup (whose
        // suites mocha names); a label set here replaces all of mocha's, so the scenario is named too.
        ...(variant ? {} : { parentSuite: `${scenario.id}: ${scenario.title}`, suite: "checks" }),
      },
      testCaseId: variant?.testCaseId ?? `${scenario.id}/${check.id}`,
      links: scenario.source.map((s) => ({ name: `article ${s.seed}: ${s.section}`, url: articleUrl(s.seed) })),
      parameters: [
        { name: "provider", value: plan.provider?.name ?? "none" },
        { name: "kernel", value: plan.capabilities?.kernel ?? "unknown", excluded: true },
      ],
      description: `${scenario.goal}\n\n**Check:** ${check.title} (${check.points} point${check.points === 1 ? "" : "s"})\n\n**Hint when it fails:** ${check.hint}`,
    });
  const judge = async (check: CheckSpec, want: "hold" | "fail"): Promise<Outcome> => {
    const perform: PerformSteps = (title, steps) =>
      recorder.step(title, () => runSteps(started(), steps, stepOutcomes, { recorder }));
    const result = await judgeCheck(check, env(), want, perform);
    await recorder.attach(
      "verdict",
      `expected: ${result.expected}\nactual:   ${result.actual}\n${result.detail}`,
      "text/plain",
    );
    await attachTopology(check, want === "hold" ? holds(result) : !holds(result));
    return result;
  };
  const attachTopology = async (check: CheckSpec, asExpected: boolean) =>
    recorder.attach(
      "topology",
      await renderSvg(
        topologyDot(plan.lab, scenario, [{ check, verdict: asExpected ? "as-expected" : "not-as-expected" }]),
      ),
      "image/svg+xml",
    );
  const claims: ClaimRow[] = [];
  const claimed = (check: CheckSpec, outcome: Outcome) => {
    const row = {
      scenario: scenario.id,
      check: check.id,
      claim: check.title,
      expected: outcome.expected,
      measured: outcome.actual,
      held: holds(outcome),
    };
    recordClaim(claims, row);
    options.onClaim?.(row);
  };

  const pool = options.pool ?? new LabPool(false);
  const { provider } = plan;
  if (plan.skipReason || !provider) {
    for (const check of scenario.checks)
      addTest(suite, `${check.id}: ${check.title}`, async function () {
        await metadata(check);
        await recorder.note(`Skipped: ${plan.skipReason}`);
        this.skip();
      });
    return suite;
  }

  let began: number | undefined;
  suite.beforeAll(
    grading
      ? `attach to lab ${plan.lab.name} on ${provider.name}`
      : `bring up lab ${plan.lab.name} on ${provider.name} and run setup`,
    async () => {
      began = Date.now();
      if (grading || !pool.holds(provider.name, plan.lab.name))
        progress(`${scenario.id}: lab ${plan.lab.name} ${grading ? "attach" : "up"} (${provider.name})`);
      try {
        if (grading) lab = await attach(provider, plan.lab);
        else {
          const got = await pool.acquire(provider, plan.lab, { onFirstResource: () => failpoint("build") });
          lab = got.lab;
          if (got.rebuiltAfter) {
            process.emitWarning(
              `${scenario.id}: lab ${plan.lab.name} was built again: its first build failed: ${got.rebuiltAfter.split("\n")[0]}`,
              "MacvlabWarning",
            );
            await recorder.attach(
              `lab ${plan.lab.name}: its first build failed, built again`,
              got.rebuiltAfter,
              "text/plain",
            );
          }
          if (got.reused) {
            progress(`${scenario.id}: lab ${plan.lab.name} reused: the scenario before left every node as it came up`);
            await recorder.step(
              `lab ${plan.lab.name} reused: proven as it came up after the scenario before`,
              async () => {},
            );
          }
        }
      } catch (error) {
        // The provider's own words (a UML console log, sshd's stderr) as a file of their own in the report.
        await recorder.attach(`lab ${plan.lab.name} failed to come up`, (error as Error).message, "text/plain");
        throw error;
      }
      if (grading) return failpoint("checks");
      await failpoint("setup");
      await runSteps(lab, scenario.setup, stepOutcomes, { recorder });
      const broken = scenario.negative_controls.find((c) => c.id === plan.breakControl);
      if (broken) {
        progress(`${scenario.id}: breaking the lab on purpose: ${broken.title}`);
        await recorder.step(`break on purpose: ${broken.title}`, () =>
          runSteps(started(), broken.break, stepOutcomes, { recorder }),
        );
      }
      await failpoint("checks");
    },
  );

  for (const check of scenario.checks) {
    addTest(
      suite,
      `${check.id}: ${check.title}`,
      async function () {
        await metadata(check);
        if (grading) {
          const grade = await gradeCheck(scenario.id, check, env(), passed, stagePlan(scenario, options.throughStage));
          options.onGrade?.(grade);
          if (grade.status === "passed") passed.add(check.id);
          if (grade.status === "blocked" || grade.status === "not-graded") {
            await recorder.note(`Not graded: ${grade.reason}`);
            this.skip();
          }
          if (grade.outcome && !holds(grade.outcome)) await attachEvidence(started(), check, recorder);
          if (grade.outcome) await attachTopology(check, holds(grade.outcome));
          if (grade.outcome) return assertOutcome(grade.outcome);
          throw new Error(`${check.id}: ${grade.reason}`);
        }
        const outcome = await judge(check, "hold");
        claimed(check, outcome);
        if (!holds(outcome)) await attachEvidence(started(), check, recorder);
        assertOutcome(outcome);
      },
      deadlineOf(check) + 60_000,
      grading ? undefined : `${scenario.id}/${check.id}`,
    );
  }

  if (!grading && !plan.breakControl)
    for (const control of scenario.negative_controls) addNegativeControl(suite, control);

  // The cleanup, proven: the lab must be as it came up, or the next scenario on it would inherit the rest.
  let cleanedUp = false;
  let proof: CleanupProof | undefined;
  const cleanUp = async (current: StartedLab) => {
    cleanedUp = true;
    await runSteps(current, scenario.cleanup, stepOutcomes, { recorder, tolerateFailures: true });
    if (!plan.breakControl) proof = await pool.prove(current);
  };
  // Its own suite, created last: mocha runs a suite's tests before its child suites (the negative controls).
  if (!grading && !plan.breakControl && pool.reuse)
    addTest(
      Object.assign(Mocha.Suite.create(suite, "cleanup"), { file: scenario.file }),
      CLEANUP_TEST_TITLE,
      async () => {
        await recorder.describeTest({
          epic: scenario.technology,
          feature: `${scenario.id}: ${scenario.title}`,
          story: "cleanup",
          severity: "normal",
          tags: scenario.tags,
          labels: { source: scenario.source.map((s) => `seed ${s.seed} ${s.section}`).join("; "), points: "0" },
          testCaseId: `${scenario.id}/cleanup`,
          parameters: [{ name: "provider", value: provider.name }],
          description: `${scenario.goal}\n\n**Check:** the scenario's cleanup leaves every node (links, addresses, routes, namespaces, sysctls, iptables) and the switch's ports as the lab came up, so the next scenario can run on the same lab.`,
        });
        await cleanUp(started());
        const leftovers = proof?.leftovers ?? [];
        await recorder.attach(
          "verdict",
          `expected: every node as the lab came up\nactual:   ${leftovers.length ? `${leftovers.length} leftover(s)` : "as it came up"}\n${leftovers.join("\n")}`,
          "text/plain",
        );
        if (leftovers.length)
          throw new AssertionError(
            `${scenario.id}: the cleanup left ${leftovers.length} thing(s) behind (the next scenario gets a fresh lab):\n  ${leftovers.join("\n  ")}`,
          );
      },
    );

  suite.afterAll(
    grading ? `detach from lab ${plan.lab.name}` : `cleanup and bring down lab ${plan.lab.name}`,
    async () => {
      if (claims.length) {
        await recorder.attach("article vs measured", claimsCsv(claims), "text/csv");
        // The scenario's whole picture: every check drawn in its verdict's colour, grey where it did not run.
        const verdicts = new Map<string, DrawnVerdict>(
          claims.map((c) => [c.check, c.held ? "as-expected" : "not-as-expected"]),
        );
        const drawn = scenario.checks.map((check) => ({ check, verdict: verdicts.get(check.id) ?? "not-judged" }));
        await recorder.attach(
          "topology: every check",
          await renderSvg(topologyDot(plan.lab, scenario, drawn)),
          "image/svg+xml",
        );
      }
      if (!lab) return;
      const current = lab;
      lab = undefined;
      try {
        if (!grading && !cleanedUp) await cleanUp(current);
      } finally {
        if (!grading) await failpoint("teardown");
        if (grading) await downTracked(current);
        const kept = !grading && (await pool.release(current, proof));
        if (began !== undefined) options.onDuration?.(scenario.id, Date.now() - began);
        progress(
          `${scenario.id}: lab ${plan.lab.name} ${grading ? "detached" : kept ? "kept for the next scenario on it" : "down"}`,
        );
      }
    },
  );
  return suite;

  function addNegativeControl(parentSuite: Mocha.Suite, control: NegativeControlSpec): void {
    const controlSuite = Mocha.Suite.create(parentSuite, `negative control ${control.id}: ${control.title}`);
    controlSuite.file = scenario.file;
    controlSuite.beforeAll(`break: ${control.title}`, async () => {
      progress(`${scenario.id}: negative control ${control.id}`);
      await runSteps(started(), control.break, stepOutcomes, { recorder });
    });
    // The loader refuses a flip that names no check of the scenario.
    const flipped = control.flips.flatMap((id) => scenario.checks.filter((c) => c.id === id));
    for (const check of flipped)
      addTest(
        controlSuite,
        `${check.id} fails when: ${control.title}`,
        async () => {
          await metadata(check, {
            story: `${check.title} — negative control`,
            testCaseId: `${scenario.id}/${control.id}/${check.id}`,
          });
          // A check that needs a flipped check is lost with it (graded "blocked by"), whatever it would say alone.
          const blockers = check.needs.filter((id) => control.flips.includes(id));
          if (blockers.length)
            return void (await recorder.note(`Lost with ${blockers.join(", ")}: graded "blocked by" them.`));
          assertOutcomeFails(await judge(check, "fail"), `with ${control.title}`);
        },
        deadlineOf(check) + 60_000,
        `${scenario.id}/${control.id}/${check.id}`,
      );
    if (control.restore.length === 0) return;
    const restored = Mocha.Suite.create(controlSuite, `restored: ${control.id}`);
    restored.file = scenario.file;
    restored.beforeAll(`restore after ${control.title}`, () =>
      runSteps(started(), control.restore, stepOutcomes, { recorder }),
    );
    for (const check of flipped)
      addTest(
        restored,
        `${check.id} passes again after restoring`,
        async () => {
          await metadata(check, {
            story: `${check.title} — restored`,
            testCaseId: `${scenario.id}/${control.id}/${check.id}/restored`,
          });
          assertOutcome(await judge(check, "hold"));
        },
        deadlineOf(check) + 60_000,
        `${scenario.id}/${control.id}/${check.id}/restored`,
      );
  }
}

/** Grading attaches to a lab someone else brought up; only providers whose labs outlive a process can. */
function attach(provider: Provider, lab: Lab): Promise<StartedLab> {
  if (!provider.attach) throw new InputError(`provider ${provider.name} cannot attach to a lab that is up`);
  return attachTracked(provider, lab);
}

/** An article as a link: its file here when the articles sit beside the project, else where they belong. */
function articleUrl(seed: string): string {
  const file = articleFile(seed);
  return file ? pathToFileURL(file).href : `../shared/seeds/${seed}`;
}
