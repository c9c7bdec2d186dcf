import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { InputError } from "../model/errors.ts";
import { classCsv, classJunit, readClassGrades, type StudentGrade } from "./class-summary.ts";

const grade = (student: string, earned: number, stages?: Array<[string, number, number]>): StudentGrade => ({
  student,
  timestamp: "2026-12-07T12:00:00.000Z",
  points: 11,
  earned,
  percent: Math.round((1000 * earned) / 11) / 10,
  passed: earned === 11,
  scenarios: [
    {
      id: "demo",
      points: 11,
      earned,
      ...(stages ? { stages: stages.map(([title, p, e], i) => ({ stage: i + 1, title, points: p, earned: e })) } : {}),
    },
  ],
});

describe("class summary", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "macvlab-class-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("has a row per student and a column per scenario stage, quoting what CSV must quote", () => {
    const csv = classCsv([
      grade("s-1", 11, [
        ["parents, first", 5, 5],
        ['the "pair"', 6, 6],
      ]),
      grade("s-2", 5, [
        ["parents, first", 5, 5],
        ['the "pair"', 6, 0],
      ]),
    ]).split("\n");
    expect(csv[0]).to.equal(
      'student,"demo stage 1: parents, first","demo stage 2: the ""pair""",total,percent,passed,graded at',
    );
    expect(csv[1]).to.equal("s-1,5/5,6/6,11/11,100,yes,2026-12-07T12:00:00.000Z");
    expect(csv[2]).to.equal("s-2,5/5,0/6,5/11,45.5,no,2026-12-07T12:00:00.000Z");
  });

  it("gives a scenario without stages one column, and JUnit a failure for each student below the pass mark", () => {
    const grades = [grade("a", 11), grade("b<&>", 3)];
    expect(classCsv(grades).split("\n")[0]).to.equal("student,demo,total,percent,passed,graded at");
    const junit = classJunit(grades);
    expect(junit).to.match(/tests="2" failures="1"/);
    expect(junit).to.include('name="b&lt;&amp;&gt;"');
    expect(junit).to.match(/name="a"><properties>.*<\/properties><\/testcase>/);
  });

  it("reads each student's grade.json, skips links and strays, and names a file that is not a grade", () => {
    for (const [id, g] of [
      ["s-2", grade("s-2", 5)],
      ["s-1", grade("s-1", 11)],
    ] as const) {
      mkdirSync(join(dir, id));
      writeFileSync(join(dir, id, "grade.json"), JSON.stringify(g));
    }
    mkdirSync(join(dir, "empty"));
    symlinkSync(join(dir, "s-1"), join(dir, "linked"));
    writeFileSync(join(dir, "class.csv"), "old\n");
    expect(readClassGrades(dir).map((g) => g.student)).to.deep.equal(["s-1", "s-2"]);
    writeFileSync(join(dir, "s-2", "grade.json"), '{"student": 1}');
    expect(() => readClassGrades(dir)).to.throw(InputError, /s-2\/grade\.json: not a grade\.json/);
    expect(() => readClassGrades(join(dir, "none"))).to.throw(InputError, /grade --as <student>/);
  });
});
