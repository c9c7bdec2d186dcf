import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The parts of an Allure result file macvlab reads. */
export interface AllureResult {
  name?: string;
  historyId?: string;
  testCaseId?: string;
  status?: string;
  start?: number;
  stop?: number;
  statusDetails?: { flaky?: boolean; known?: boolean; message?: string };
  labels?: Array<{ name: string; value: string }>;
  links?: Array<{ type?: string; name?: string; url: string }>;
}

/** One check's attempts in a run (more than one with `--retries`), oldest first; the last is its verdict. */
export interface CheckAttempts {
  readonly historyId: string;
  readonly testCaseId: string;
  readonly attempts: ReadonlyArray<{ readonly file: string; readonly result: AllureResult }>;
}

/** A result file this large is not one mocha wrote for a check: leave it alone rather than read it whole. */
const MAX_RESULT_BYTES = 32 * 1024 * 1024;
export const FAILED_STATUSES: ReadonlySet<string> = new Set(["failed", "broken"]);

/** Every check's attempts in some results directories, by history id (check and provider). */
export function readAttempts(resultsDirs: readonly string[]): CheckAttempts[] {
  const byHistory = new Map<string, Array<{ file: string; result: AllureResult }>>();
  for (const dir of resultsDirs)
    for (const name of readdirSync(dir)) {
      if (!name.endsWith("-result.json")) continue;
      const file = join(dir, name);
      if (statSync(file).size > MAX_RESULT_BYTES) continue;
      const result = JSON.parse(readFileSync(file, "utf8")) as AllureResult;
      if (!result.historyId || !result.testCaseId) continue;
      byHistory.set(result.historyId, [...(byHistory.get(result.historyId) ?? []), { file, result }]);
    }
  return [...byHistory.entries()]
    .map(([historyId, attempts]) => ({
      historyId,
      testCaseId: attempts[0]?.result.testCaseId ?? "",
      attempts: attempts.sort((a, b) => (a.result.stop ?? 0) - (b.result.stop ?? 0)),
    }))
    .sort((a, b) => (a.historyId < b.historyId ? -1 : a.historyId > b.historyId ? 1 : 0));
}

/** The verdict: the last attempt. */
export function verdictOf(check: CheckAttempts): AllureResult {
  return check.attempts.at(-1)?.result ?? {};
}
