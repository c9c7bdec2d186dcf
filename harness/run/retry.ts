export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * All waiting goes through here: call `attempt` until `done` says so or the deadline passes, and
 * return the last result either way (the caller asserts on it, so a timeout shows what was seen).
 */
export async function retryUntil<T>(
  attempt: () => Promise<T>,
  done: (result: T) => boolean,
  deadlineMs: number,
  options: { intervalMs?: number; clock?: Clock } = {},
): Promise<{ result: T; attempts: number }> {
  const clock = options.clock ?? realClock;
  const end = clock.now() + deadlineMs;
  let attempts = 0;
  for (;;) {
    const result = await attempt();
    attempts++;
    if (done(result) || clock.now() + (options.intervalMs ?? 200) >= end) return { result, attempts };
    await clock.sleep(options.intervalMs ?? 200);
  }
}
