import { AssertionError, expect } from "chai";

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

/** The one place outcomes become chai assertions (AssertionError: Allure's "failed", not "broken"). */
export function assertOutcome(outcome: Outcome): void {
  expect(outcome.actual, `${outcome.subject}${outcome.detail ? ` [${outcome.detail}]` : ""}`).to.equal(outcome.expected);
}

/** For negative controls: the check must NOT hold once its cause is removed. */
export function assertOutcomeFails(outcome: Outcome, because: string): void {
  if (holds(outcome))
    throw new AssertionError(
      `${outcome.subject}: still "${outcome.actual}" ${because}; this check cannot detect the cause it claims to test`,
      { expected: `not ${outcome.expected}`, actual: outcome.actual, showDiff: false },
    );
}
