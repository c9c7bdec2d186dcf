import { KNOWN_ISSUE_PASSES } from "./result-marks.ts";
import { type AllureResult, type CheckAttempts, FAILED_STATUSES, verdictOf } from "./results-read.ts";
import { xml } from "./xml.ts";

/** A check's verdict across its attempts, as the gate, JUnit and the job summary see it. */
export interface CheckVerdict {
  readonly testCaseId: string;
  readonly name: string;
  readonly status: string;
  /** Failed before it passed (marked when the run ended). */
  readonly flaky: boolean;
  /** Failed as the known-issues file says it does. */
  readonly known: boolean;
  /** Listed in the known-issues file, yet passed: the entry can go. */
  readonly knownNowPasses: boolean;
  readonly message: string;
  readonly link?: string;
  /** The failed attempts before the verdict (with `--retries`). */
  readonly earlierFailures: readonly string[];
}

export function verdicts(checks: readonly CheckAttempts[]): CheckVerdict[] {
  return checks.map((check) => {
    const last = verdictOf(check);
    const failedBefore = check.attempts.slice(0, -1).filter((a) => FAILED_STATUSES.has(a.result.status ?? ""));
    return {
      testCaseId: check.testCaseId,
      name: last.name ?? check.testCaseId,
      status: last.status ?? "unknown",
      flaky: last.statusDetails?.flaky === true,
      known: last.statusDetails?.known === true,
      knownNowPasses: (last.labels ?? []).some((l) => l.name === "tag" && l.value === KNOWN_ISSUE_PASSES),
      message: firstLine(last),
      link: last.links?.find((l) => l.type === "issue")?.url,
      earlierFailures: failedBefore.map((a) => firstLine(a.result)),
    };
  });
}

/** The gate: every failed check that is not a known issue. */
export function gateFailures(all: readonly CheckVerdict[]): CheckVerdict[] {
  return all.filter((v) => FAILED_STATUSES.has(v.status) && !v.known);
}

/**
 * JUnit XML: a testsuite per scenario, a testcase per check; a flaky pass carries its earlier failures
 * as `<flakyFailure>` (the Maven Surefire convention CI servers read), a known failure is `<skipped>`
 * with the tracked reason, so neither reads as a plain pass or a new failure.
 */
export function verdictsJunit(all: readonly CheckVerdict[], name: string): string {
  const byScenario = new Map<string, CheckVerdict[]>();
  for (const v of all) {
    const scenario = v.testCaseId.split("/")[0] ?? v.testCaseId;
    byScenario.set(scenario, [...(byScenario.get(scenario) ?? []), v]);
  }
  const suites = [...byScenario.entries()].map(([scenario, checks]) => {
    const cases = checks.map((v) => {
      const flakies = v.earlierFailures.map((m) => `<flakyFailure message="${xml(m)}"/>`).join("");
      const body = v.known
        ? `<skipped message="${xml(`known issue${v.link ? ` (${v.link})` : ""}: ${v.message}`)}"/>`
        : FAILED_STATUSES.has(v.status)
          ? `<${v.status === "broken" ? "error" : "failure"} message="${xml(v.message)}"/>`
          : v.status === "skipped"
            ? `<skipped message="${xml(v.message)}"/>`
            : flakies;
      return `    <testcase classname="${xml(scenario)}" name="${xml(v.testCaseId.slice(scenario.length + 1))}">${body}</testcase>`;
    });
    const count = (test: (v: CheckVerdict) => boolean) => checks.filter(test).length;
    const failures = count((v) => v.status === "failed" && !v.known);
    const errors = count((v) => v.status === "broken" && !v.known);
    const skipped = count((v) => v.status === "skipped" || v.known);
    return `  <testsuite name="${xml(scenario)}" tests="${checks.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(name)}">\n${suites.join("\n")}\n</testsuites>\n`;
}

/** Markdown for a CI job summary: the counts, then the failing checks, the flaky ones and the known ones. */
export function verdictsMarkdown(all: readonly CheckVerdict[]): string {
  const failing = gateFailures(all);
  const flaky = all.filter((v) => v.flaky);
  const known = all.filter((v) => v.known);
  const passed = all.filter((v) => v.status === "passed").length;
  const lines = [
    `## macvlab: ${failing.length ? `${failing.length} failing` : "gate passed"}`,
    "",
    `${passed} passed (${flaky.length} flaky), ${failing.length} failing, ${known.length} known issue(s), ${all.length} checks in all.`,
  ];
  const section = (title: string, rows: readonly CheckVerdict[], text: (v: CheckVerdict) => string) => {
    if (!rows.length) return;
    lines.push("", `### ${title}`, "", ...rows.map((v) => `- \`${v.testCaseId}\` ${text(v)}`));
  };
  section("Failing", failing, (v) => cell(v.message));
  section("Flaky (passed when judged again)", flaky, (v) => `first: ${cell(v.earlierFailures[0] ?? "")}`);
  section("Known issues", known, (v) => `${cell(v.message)}${v.link ? ` — ${v.link}` : ""}`);
  section(
    "Known issues that now pass (take them out of the known-issues file)",
    all.filter((v) => v.knownNowPasses),
    (v) => v.link ?? "",
  );
  return `${lines.join("\n")}\n`;
}

const cell = (s: string) => s.replace(/[\r\n|`]+/g, " ").slice(0, 300);

function firstLine(result: AllureResult): string {
  return (result.statusDetails?.message ?? result.status ?? "").split("\n")[0] ?? "";
}
