import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../model/errors.ts";
import { writeOutputFile } from "./output-file.ts";
import { xml } from "./xml.ts";

/** What the class summary reads of each student's grade.json (written by `grade --as <student>`). */
const GradeFile = z.looseObject({
  student: z.string(),
  timestamp: z.string(),
  points: z.number(),
  earned: z.number(),
  percent: z.number(),
  passed: z.boolean(),
  scenarios: z.array(
    z.looseObject({
      id: z.string(),
      points: z.number(),
      earned: z.number(),
      stages: z
        .array(z.looseObject({ stage: z.number(), title: z.string(), points: z.number(), earned: z.number() }))
        .optional(),
    }),
  ),
});
export type StudentGrade = z.infer<typeof GradeFile>;

/** The largest grade.json read (a grade of every scenario with every check is a few hundred KiB). */
const MAX_GRADE_BYTES = 4 << 20;

/** Every student's last grade under the class directory (`<dir>/<student>/grade.json`), by student. */
export function readClassGrades(dir: string): StudentGrade[] {
  if (!existsSync(dir))
    throw new InputError(`no class grades in ${dir}: grade each student with \`grade --as <student>\``);
  const grades: StudentGrade[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(dir, entry.name, "grade.json");
    if (!entry.isDirectory() || entry.isSymbolicLink() || !existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    if (text.length > MAX_GRADE_BYTES) throw new InputError(`${file}: larger than ${MAX_GRADE_BYTES} bytes`);
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new InputError(`${file}: not JSON (${(error as Error).message})`);
    }
    const parsed = GradeFile.safeParse(data);
    if (!parsed.success)
      throw new InputError(
        `${file}: not a grade.json (${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message})`,
      );
    grades.push(parsed.data);
  }
  if (grades.length === 0)
    throw new InputError(`no class grades in ${dir}: grade each student with \`grade --as <student>\``);
  return grades;
}

/** A column of the summary: a scenario's stage (or the whole scenario, when it has no stages). */
interface Column {
  readonly key: string;
  readonly label: string;
}

function columns(grades: readonly StudentGrade[]): Column[] {
  const seen = new Map<string, string>();
  for (const g of grades)
    for (const s of g.scenarios)
      if (s.stages?.length)
        for (const st of s.stages) seen.set(`${s.id}#${st.stage}`, `${s.id} stage ${st.stage}: ${st.title}`);
      else seen.set(s.id, s.id);
  return [...seen].map(([key, label]) => ({ key, label }));
}

function cell(grade: StudentGrade, column: Column): string {
  const [id, stage] = column.key.split("#");
  const scenario = grade.scenarios.find((s) => s.id === id);
  if (!scenario) return "";
  if (stage === undefined) return `${scenario.earned}/${scenario.points}`;
  const part = scenario.stages?.find((st) => String(st.stage) === stage);
  return part ? `${part.earned}/${part.points}` : "";
}

const csvField = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/** One row per student: points per scenario stage ("earned/points", empty where not graded), total, percent, passed. */
export function classCsv(grades: readonly StudentGrade[]): string {
  const cols = columns(grades);
  const header = ["student", ...cols.map((c) => c.label), "total", "percent", "passed", "graded at"];
  const rows = grades.map((g) => [
    g.student,
    ...cols.map((c) => cell(g, c)),
    `${g.earned}/${g.points}`,
    String(g.percent),
    g.passed ? "yes" : "no",
    g.timestamp,
  ]);
  return `${[header, ...rows].map((r) => r.map(csvField).join(",")).join("\n")}\n`;
}

/** JUnit for an LMS or CI: a testcase per student, failed below the pass mark, points per stage as properties. */
export function classJunit(grades: readonly StudentGrade[]): string {
  const cols = columns(grades);
  const cases = grades.map((g) => {
    const properties = [
      `<property name="earned" value="${g.earned}"/>`,
      `<property name="points" value="${g.points}"/>`,
      ...cols.map((c) => `<property name="${xml(c.label)}" value="${xml(cell(g, c))}"/>`),
    ].join("");
    const failure = g.passed
      ? ""
      : `<failure message="${xml(`${g.earned}/${g.points} (${g.percent}%): below the pass mark`)}"/>`;
    return `    <testcase classname="class" name="${xml(g.student)}"><properties>${properties}</properties>${failure}</testcase>`;
  });
  const failures = grades.filter((g) => !g.passed).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="macvlab class">\n  <testsuite name="class" tests="${grades.length}" failures="${failures}">\n${cases.join("\n")}\n  </testsuite>\n</testsuites>\n`;
}

/** The table a trainer reads: a line per student. */
export function classTable(grades: readonly StudentGrade[]): string {
  const width = Math.max(7, ...grades.map((g) => g.student.length));
  return grades
    .map(
      (g) =>
        `${g.student.padEnd(width)}  ${`${g.earned}/${g.points}`.padStart(7)}  ${`${g.percent}%`.padStart(6)}  ${g.passed ? "PASSED" : "NOT PASSED"}`,
    )
    .join("\n");
}

/** Reads every student's grade, writes class.csv and class-junit.xml beside them, and returns the table. */
export function publishClass(dir: string): { table: string; csv: string; junit: string; failed: number } {
  const grades = readClassGrades(dir);
  const csv = join(dir, "class.csv");
  const junit = join(dir, "class-junit.xml");
  writeOutputFile(csv, classCsv(grades), "class summary");
  writeOutputFile(junit, classJunit(grades), "class summary");
  return { table: classTable(grades), csv, junit, failed: grades.filter((g) => !g.passed).length };
}
