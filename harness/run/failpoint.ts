import { interruption } from "./interrupt.ts";

export type FailpointPhase = "build" | "setup" | "checks" | "teardown";

/** A failpoint is set: suites drop their timeouts, or mocha would end the wait after a few minutes. */
export function failpointArmed(): boolean {
  return Boolean(process.env.MACVLAB_FAILPOINT);
}

/**
 * A pause for fault injection: with MACVLAB_FAILPOINT=<phase> the command says so on stderr
 * ("macvlab: failpoint <phase> reached") and waits there, so a test can act at a known point: a
 * signal (its handler tears down; the wait ends with an error so whatever was in progress, a lab
 * build, unwinds too), or a fault of its own (kill a node's sshd or kernel) followed by a line on
 * stdin, which lets the command go on and meet that fault. Otherwise it returns at once.
 */
export async function failpoint(phase: FailpointPhase): Promise<void> {
  if (process.env.MACVLAB_FAILPOINT !== phase) return;
  process.stderr.write(`macvlab: failpoint ${phase} reached\n`);
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      clearInterval(keepAlive);
      interruption.removeEventListener("abort", stop);
      process.stdin.off("data", resume);
      // A paused pipe still holds the event loop open: the command would never exit.
      process.stdin.destroy();
    };
    const stop = () => {
      done();
      reject(new Error(`failpoint ${phase}: interrupted`));
    };
    const resume = () => {
      done();
      process.stderr.write(`macvlab: failpoint ${phase} resumed\n`);
      resolve();
    };
    // A pending promise alone would let the process exit; a timer keeps it waiting.
    const keepAlive = setInterval(() => {}, 60_000);
    if (interruption.aborted) return stop();
    interruption.addEventListener("abort", stop, { once: true });
    process.stdin.on("data", resume);
  });
}
