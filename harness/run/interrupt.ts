import { downAll, leftBehind } from "./active-labs.ts";
import { dropOwnerFiles, holdLocksUntilReleaseAll, releaseAllLocks } from "./lab-lock.ts";

/** 128 + the signal's number, as a shell reports a process killed by it. */
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type HandledSignal = keyof typeof EXIT_CODES;
const SIGNALS = Object.keys(EXIT_CODES) as HandledSignal[];

const controller = new AbortController();
/** Aborted when a handled signal arrives: long waits (a failpoint, a mocha run) end on it. */
export const interruption: AbortSignal = controller.signal;

let depth = 0;
let received: HandledSignal | undefined;

/** The signal that interrupted this command, if one did (a parallel run passes the same one to its jobs). */
export function receivedSignal(): HandledSignal | undefined {
  return received;
}

/**
 * Runs a command that creates something (a lab, a connection, a lock) with SIGINT, SIGTERM and
 * SIGHUP handled: on the first, everything registered in active-labs is taken down, every lock is
 * released, each step is said on stderr, and the process exits 130 / 143 / 129. A second signal
 * while that runs says what is left and how to remove it, and exits at once.
 * Once a signal arrived, the work's own outcome is dropped: the handler decides how the process ends.
 */
export async function interruptible<T>(work: () => Promise<T>): Promise<T> {
  if (depth++ === 0) for (const signal of SIGNALS) process.on(signal, onSignal);
  try {
    const result = await work();
    if (received) await never();
    return result;
  } catch (error) {
    if (received) await never();
    throw error;
  } finally {
    // After a signal the handlers stay: a second one must still be caught.
    if (--depth === 0 && !received) for (const signal of SIGNALS) process.off(signal, onSignal);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  const handled = signal as HandledSignal;
  if (received) return void giveUp(handled);
  received = handled;
  holdLocksUntilReleaseAll();
  // SIGHUP: the terminal may be gone; the teardown must not die on a write to it.
  process.stderr.on("error", () => {});
  if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
  say(
    `\nmacvlab: ${signal} received: stopping and tearing down what this command started (${signal} again: stop at once)`,
  );
  controller.abort(new Error(`interrupted by ${signal}`));
  void (async () => {
    for (const line of await downAll()) say(`macvlab: ${line}`);
    const locks = await releaseAllLocks();
    if (locks) say(`macvlab: released ${locks} lab lock${locks === 1 ? "" : "s"}`);
    const left = leftBehind();
    for (const line of left) say(`macvlab: left behind: ${line}`);
    say(
      `macvlab: interrupted by ${signal}; ${left.length ? "some of the lab is left (see above)" : "nothing this command started is left"}; exit ${EXIT_CODES[handled]}`,
    );
    process.exit(EXIT_CODES[handled]);
  })();
}

function giveUp(signal: HandledSignal): void {
  say(`\nmacvlab: ${signal} again: exiting without finishing the teardown`);
  for (const line of leftBehind()) say(`macvlab: left behind: ${line}`);
  dropOwnerFiles();
  process.exit(EXIT_CODES[signal]);
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Settles never; the signal handler ends the process. */
function never(): Promise<never> {
  return new Promise(() => {});
}
