import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { GradeSummary } from "../run/grade-summary.ts";

/** The score table a student reads: every check, its points, and for each failure what was expected, what was seen and the hint. */
export function gradeTable(summary: GradeSummary): string {
  const lines: string[] = [];
  for (const scenario of summary.scenarios) {
    lines.push(`${scenario.id} (lab ${scenario.lab}): ${scenario.earned}/${scenario.points}`);
    for (const g of scenario.checks) {
      const result = { passed: "pass", failed: "FAIL", blocked: "blocked", "not-graded": "not graded" }[g.status];
      lines.push(`  ${g.check.padEnd(40)} ${`${g.earned}/${g.points}`.padStart(5)}  ${result}`);
      if (g.status === "failed" && g.expected) lines.push(`      expected ${g.expected}, saw ${g.actual}`);
      if (g.reason) lines.push(`      ${g.reason}`);
      if (g.status === "failed" || g.status === "blocked") lines.push(`      hint: ${g.hint}`);
    }
  }
  lines.push(
    `total ${summary.earned}/${summary.points} (${summary.percent}%), pass mark ${summary.passMarkPercent}%: ${summary.passed ? "PASSED" : "NOT PASSED"}`,
  );
  return lines.join("\n");
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JUnit XML for CI autograders and LMS imports: a testsuite per scenario, a testcase per check. */
export function gradeJunit(summary: GradeSummary): string {
  const suites = summary.scenarios.map((s) => {
    const cases = s.checks.map((g) => {
      const body =
        g.status === "failed"
          ? `<failure message="${xml(g.expected ? `expected ${g.expected}, saw ${g.actual}` : (g.reason ?? "failed"))}">${xml(`hint: ${g.hint ?? ""}`)}</failure>`
          : g.status === "blocked" || g.status === "not-graded"
            ? `<skipped message="${xml(g.reason ?? g.status)}"/>`
            : "";
      return `    <testcase classname="${xml(s.id)}" name="${xml(g.check)}"><properties><property name="points" value="${g.points}"/><property name="earned" value="${g.earned}"/></properties>${body}</testcase>`;
    });
    const count = (st: string) => s.checks.filter((g) => g.status === st).length;
    return `  <testsuite name="${xml(s.id)}" tests="${s.checks.length}" failures="${count("failed")}" skipped="${count("blocked") + count("not-graded")}" timestamp="${summary.timestamp}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="macvlab grade: ${xml(summary.student)}">\n${suites.join("\n")}\n</testsuites>\n`;
}

export function writeGradeFiles(summary: GradeSummary, files: { json: string; junit: string }): void {
  for (const file of [files.json, files.junit]) mkdirSync(dirname(file), { recursive: true });
  writeFileSync(files.json, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(files.junit, gradeJunit(summary));
}
