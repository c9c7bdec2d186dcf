import { interruption } from "./interrupt.ts";

export type FailpointPhase = "build" | "setup" | "checks" | "teardown";

/**
 * A pause for fault injection: with MACVLAB_FAILPOINT=<phase> the command says so on stderr
 * ("macvlab: failpoint <phase> reached") and waits there until a signal arrives, so a test can
 * interrupt or kill it at a known point. The signal's handler then tears down; the wait ends with
 * an error so whatever was in progress (a lab build) unwinds too. Otherwise it returns at once.
 */
/** A failpoint is set: suites drop their timeouts, or mocha would end the wait after a few minutes. */
export function failpointArmed(): boolean {
  return Boolean(process.env.MACVLAB_FAILPOINT);
}

export async function failpoint(phase: FailpointPhase): Promise<void> {
  if (process.env.MACVLAB_FAILPOINT !== phase) return;
  process.stderr.write(`macvlab: failpoint ${phase} reached\n`);
  await new Promise<void>((_, reject) => {
    const stop = () => {
      clearInterval(keepAlive);
      reject(new Error(`failpoint ${phase}: interrupted`));
    };
    // A pending promise alone would let the process exit; a timer keeps it waiting.
    const keepAlive = setInterval(() => {}, 60_000);
    if (interruption.aborted) stop();
    else interruption.addEventListener("abort", stop, { once: true });
  });
}
