import { on } from "node:events";
import { InputError } from "../model/errors.ts";
import { providerNamed } from "../providers/registry.ts";
import { loadScenarios } from "../scenario/load-all.ts";
import { addSummaries, type EngineSummary, NO_RESULTS, type Reporting, runMocha } from "./engine.ts";
import { interruptible } from "./interrupt.ts";
import { type JobReady, type JobScenario, type JobSetup, SCENARIO_END, type ToJob } from "./job-protocol.ts";
import { type HeldLock, lockLab, releaseLocks } from "./lab-lock.ts";
import { LabPool } from "./lab-pool.ts";
import type { ScenarioPlan } from "./plan.ts";

/**
 * One job of a parallel run (`macvlab job`, started by `runJobs`): asks the run for a scenario, runs
 * it with the run's provider choice and capabilities into the shared results directory, answers with
 * its summary and asks for the next, until the run says stop. When the run is gone (killed, SIGKILL
 * included: the channel closes) the job stops as on SIGTERM: its lab is taken down.
 */
export function serveJob(reporting: Reporting): Promise<EngineSummary> {
  return interruptible(() => serve(reporting));
}

async function serve(reporting: Reporting): Promise<EngineSummary> {
  const send = process.send?.bind(process);
  if (!send) throw new InputError("`macvlab job` is started by `macvlab run --jobs N`, not by hand");
  const tell = (message: JobReady) =>
    new Promise<void>((resolve, reject) => send(message, (error: Error | null) => (error ? reject(error) : resolve())));
  // The run reads this process's output through pipes that close with it: nothing to report to then.
  process.stdout.on("error", () => {});
  const orphaned = () => {
    process.stderr.write("macvlab: the run that started this job is gone; stopping it as on SIGTERM\n");
    process.kill(process.pid, "SIGTERM");
  };
  process.once("disconnect", orphaned);
  let total = NO_RESULTS;
  const held: Held = { locks: new Map() };
  try {
    let setup: JobSetup | undefined;
    const messages = on(process, "message");
    await tell({ kind: "ready" });
    for await (const [message] of messages as AsyncIterable<[ToJob]>) {
      if (message.kind === "stop") break;
      if (message.kind === "setup") {
        setup = message;
        held.pool = new LabPool(message.reuse);
        continue;
      }
      if (!setup) throw new InputError("job: a scenario came before the run's setup");
      const summary = await runOne(setup, message, reporting, held);
      process.stdout.write(`${SCENARIO_END}\n`);
      total = addSummaries(total, summary);
      await tell({ kind: "ready", summary });
    }
    return total;
  } finally {
    try {
      await held.pool?.drain();
    } finally {
      await releaseLocks([...held.locks.values()]);
    }
    process.off("disconnect", orphaned);
    // An open channel would keep this process alive after its work.
    if (process.connected) process.disconnect();
  }
}

/** The job's labs (kept between scenarios when proven clean) and their locks, held until the job ends. */
interface Held {
  pool?: LabPool;
  readonly locks: Map<string, HeldLock>;
}

async function runOne(setup: JobSetup, wanted: JobScenario, reporting: Reporting, held: Held): Promise<EngineSummary> {
  const [loaded] = loadScenarios([wanted.file]);
  if (!loaded) throw new InputError(`job: no scenario in ${wanted.file}`);
  const capabilities = setup.capabilities.find((r) => r.provider === wanted.provider);
  const plan: ScenarioPlan = {
    ...loaded,
    provider: wanted.provider ? providerNamed(wanted.provider) : undefined,
    capabilities,
    skipReason: wanted.skipReason,
    breakControl: setup.breakControl,
  };
  if (plan.provider && !plan.skipReason) {
    const key = `${plan.provider.name}/${plan.lab.name}`;
    if (!held.locks.has(key))
      held.locks.set(
        key,
        await lockLab({ provider: plan.provider.name, lab: plan.lab.name, mode: "exclusive", wait: setup.wait }),
      );
    held.pool?.want(plan.provider.name, plan.lab.name, 1 + wanted.more);
    // The run hands a job the next scenario on its lab while there is one: a lab kept for another is idle for good.
    await held.pool?.keepOnly(plan.provider.name, plan.lab.name);
  }
  return runMocha([plan], {
    resultsDir: setup.resultsDir,
    grep: setup.grep,
    mode: setup.mode,
    reporting,
    pool: held.pool,
    retries: setup.retries,
    known: setup.known,
  });
}
