import { writeFileSync } from "node:fs";
import type { KnownIssues } from "../scenario/known-issues.ts";
import { FAILED_STATUSES, readAttempts } from "./results-read.ts";

/** The tag of a check the known-issues file lists that passed. */
export const KNOWN_ISSUE_PASSES = "known-issue-now-passes";

/**
 * Marks the checks' results in a results directory, from the results themselves: the last attempt of a
 * check that failed before passing is flaky (`statusDetails.flaky`, Allure's flag, and a `flaky` tag that
 * the history keeps); a failed check the known-issues file lists is known (`statusDetails.known`, a link
 * to where it is tracked, a `known-issue` tag); a listed check that passed is tagged as now passing.
 */
export function markResults(resultsDir: string, known: KnownIssues): void {
  for (const check of readAttempts([resultsDir])) {
    const last = check.attempts.at(-1);
    if (!last) continue;
    const { result } = last;
    let changed = false;
    const failed = (status?: string) => FAILED_STATUSES.has(status ?? "");
    if (result.status === "passed" && check.attempts.some((a) => failed(a.result.status))) {
      result.statusDetails = { ...result.statusDetails, flaky: true };
      result.labels = [...(result.labels ?? []), { name: "tag", value: "flaky" }];
      changed = true;
    }
    const issue = known.get(check.testCaseId);
    if (issue && result.status === "passed") {
      // Listed as failing, yet it passed: the report says so, and the entry can go.
      result.labels = [...(result.labels ?? []), { name: "tag", value: KNOWN_ISSUE_PASSES }];
      result.links = [
        ...(result.links ?? []),
        { type: "issue", name: `known issue, now passing: ${issue.reason}`, url: issue.link },
      ];
      changed = true;
    }
    if (issue && failed(result.status)) {
      result.statusDetails = { ...result.statusDetails, known: true };
      result.labels = [...(result.labels ?? []), { name: "tag", value: "known-issue" }];
      result.links = [
        ...(result.links ?? []),
        { type: "issue", name: `known issue: ${issue.reason}`, url: issue.link },
      ];
      changed = true;
    }
    if (changed) writeFileSync(last.file, JSON.stringify(result));
  }
}
