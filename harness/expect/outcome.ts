import { AssertionError } from "chai";

/**
 * An expectation's verdict, netlab's show/valid split made typed: what the scenario expects and what
 * the network showed, both in the same words, so a pass is `actual === expected` and a failure reads
 * as a diff. `detail` carries the evidence behind `actual` (counts, TTLs, the raw values).
 */
export interface Outcome {
  readonly subject: string;
  readonly expected: string;
  readonly actual: string;
  readonly detail: string;
}

export function holds(outcome: Outcome): boolean {
  return outcome.actual === outcome.expected;
}

/**
 * The one place outcomes become chai assertions (AssertionError: Allure's "failed", not "broken").
 * The message names both sides itself: reporters shorten "…: expected x to equal y" messages when
 * they show a diff, and a grader reading only the message must still see what was expected and seen.
 */
export function assertOutcome(outcome: Outcome): void {
  if (holds(outcome)) return;
  throw new AssertionError(
    `${outcome.subject} — expected ${outcome.expected}, saw ${outcome.actual}${outcome.detail ? ` [${outcome.detail}]` : ""}`,
    { expected: outcome.expected, actual: outcome.actual, showDiff: true },
  );
}

/** For negative controls: the check must NOT hold once its cause is removed. */
export function assertOutcomeFails(outcome: Outcome, because: string): void {
  if (holds(outcome))
    throw new AssertionError(
      `${outcome.subject}: still "${outcome.actual}" ${because}; this check cannot detect the cause it claims to test`,
      { expected: `not ${outcome.expected}`, actual: outcome.actual, showDiff: false },
    );
}
