import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { OutputError } from "../model/errors.ts";
import type { GradeSummary } from "../run/grade-summary.ts";
import { xml } from "./xml.ts";

/** The score table a student reads: every check, its points, and for each failure what was expected, what was seen and the hint. */
export function gradeTable(summary: GradeSummary): string {
  const lines: string[] = [];
  for (const scenario of summary.scenarios) {
    lines.push(`${scenario.id} (lab ${scenario.lab}): ${scenario.earned}/${scenario.points}`);
    for (const st of scenario.stages ?? [])
      lines.push(
        `  stage ${st.stage}: ${st.title} — ${st.graded ? `${st.earned}/${st.points}` : `not graded yet (--stage ${summary.throughStage})`}`,
      );
    for (const g of scenario.checks) {
      const result = { passed: "pass", failed: "FAIL", blocked: "blocked", "not-graded": "not graded" }[g.status];
      lines.push(`  ${g.check.padEnd(40)} ${`${g.earned}/${g.points}`.padStart(5)}  ${result}`);
      if (g.status === "failed" && g.expected) lines.push(`      expected ${g.expected}, saw ${g.actual}`);
      if (g.reason) lines.push(`      ${g.reason}`);
      if (g.status === "failed" || g.status === "blocked") lines.push(`      hint: ${g.hint}`);
    }
  }
  if (summary.tampering?.length) {
    lines.push("GRADE WITHHELD: tampering detected");
    for (const finding of summary.tampering) lines.push(`  ${finding}`);
  }
  lines.push(
    `total ${summary.earned}/${summary.points} (${summary.percent}%), pass mark ${summary.passMarkPercent}%: ${summary.passed ? "PASSED" : "NOT PASSED"}`,
  );
  return lines.join("\n");
}

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
      const stage = g.stage === undefined ? "" : `<property name="stage" value="${g.stage}"/>`;
      return `    <testcase classname="${xml(s.id)}" name="${xml(g.check)}"><properties><property name="points" value="${g.points}"/><property name="earned" value="${g.earned}"/>${stage}</properties>${body}</testcase>`;
    });
    const count = (st: string) => s.checks.filter((g) => g.status === st).length;
    return `  <testsuite name="${xml(s.id)}" tests="${s.checks.length}" failures="${count("failed")}" skipped="${count("blocked") + count("not-graded")}" timestamp="${summary.timestamp}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="macvlab grade: ${xml(summary.student)}">\n${suites.join("\n")}\n</testsuites>\n`;
}

export const gradeJson = (summary: GradeSummary) => `${JSON.stringify(summary, null, 2)}\n`;

/**
 * Writes grade.json and the JUnit file, each whole or not at all: written beside its place and
 * renamed over it, so a full disk leaves no half grade and a symlink at the path is replaced, not
 * followed. A file that cannot be written is an OutputError naming it, and an older grade left at
 * either path is removed where possible, so no one reads last run's grade as this one's.
 */
export function writeGradeFiles(summary: GradeSummary, files: { json: string; junit: string }): void {
  const pending = [
    [files.json, gradeJson(summary)],
    [files.junit, gradeJunit(summary)],
  ] as const;
  for (const [i, [file, text]] of pending.entries()) {
    const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
    try {
      mkdirSync(dirname(file), { recursive: true });
      rmSync(temporary, { force: true }); // a crashed run with the same pid
      writeFileSync(temporary, text, { flag: "wx" });
      renameSync(temporary, file);
    } catch (error) {
      removeIfPossible(temporary);
      const stale = pending.slice(i).filter(([f]) => !removeIfPossible(f));
      const left = stale.length
        ? `; an older ${stale.map(([f]) => basename(f)).join(" and ")} could not be removed`
        : "";
      throw new OutputError(`the grade could not be written to ${file}: ${(error as Error).message}${left}`, {
        cause: error,
      });
    }
  }
}

/** Best effort: true when nothing is left at `file`. */
function removeIfPossible(file: string): boolean {
  try {
    rmSync(file, { force: true });
  } catch {
    // the directory is unusable (read-only, not a directory): whatever is there stays
  }
  return !existsSync(file);
}

/**
 * The table first, then the files. When they cannot be written the whole grade.json goes to stdout
 * before the error is thrown (exit 3): a grade is never lost to a full disk.
 */
export function publishGrade(
  summary: GradeSummary,
  files: { json: string; junit: string },
  print: (text: string) => void,
): void {
  print(`\n${gradeTable(summary)}\n`);
  try {
    writeGradeFiles(summary, files);
  } catch (error) {
    if (error instanceof OutputError) print(`\nthe grade (grade.json, not saved):\n${gradeJson(summary)}`);
    throw error;
  }
}
