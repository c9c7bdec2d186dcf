import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { exitCodeFor, OutputError } from "../model/errors.ts";
import type { CheckGrade } from "../run/grade-check.ts";
import { type GradeSummary, summarize } from "../run/grade-summary.ts";
import { gradeJunit, gradeTable, publishGrade } from "./grade-report.ts";

const grade = (g: Partial<CheckGrade> & Pick<CheckGrade, "scenario" | "check" | "status">): CheckGrade => ({
  title: g.check,
  points: 1,
  earned: 0,
  ...g,
});

// Two scenarios with every status; 5 not-graded points that must not count anywhere.
const grades: CheckGrade[] = [
  grade({
    scenario: "bridge-mode",
    check: "ping-peer",
    status: "passed",
    points: 2,
    earned: 2,
    outcome: { subject: "a → 10.0.0.2", expected: "reachable", actual: "reachable", detail: "1 sent, 1 received" },
  }),
  grade({
    scenario: "bridge-mode",
    check: "mode-bridge",
    status: "failed",
    points: 3,
    expected: "mode bridge",
    actual: "mode vepa",
    hint: "ip link add … mode bridge",
  }),
  grade({
    scenario: "bridge-mode",
    check: "setup-ran",
    status: "not-graded",
    points: 5,
    reason: "reads the outcome of the harness's own setup step",
  }),
  grade({ scenario: "vlan", check: "tagged", status: "blocked", hint: "add the VLAN first", reason: "blocked by vid" }),
  grade({ scenario: "vlan", check: "vid", status: "passed", earned: 1 }),
];
const meta = { student: "ann", provider: "netns", passMarkPercent: 40, labs: { "bridge-mode": "two-hosts" } };

/** The percentage summarize reports for `earned` of `points` graded points. */
const percentOf = (earned: number, points: number) =>
  summarize([grade({ scenario: "s", check: "c", status: "passed", points, earned })], meta).percent;

describe("summarize", () => {
  const summary = summarize(grades, meta);

  it("adds up points and earned over graded checks only", () => {
    expect(summary).to.include({ points: 7, earned: 3, percent: 42.9, passMarkPercent: 40, passed: true });
    expect(summary).to.include({ student: "ann", provider: "netns" });
  });

  it("rounds the percentage to one decimal, halves up", () => {
    expect(percentOf(2, 3)).to.equal(66.7);
    expect(percentOf(1, 3)).to.equal(33.3);
    expect(percentOf(1, 16)).to.equal(6.3);
    expect(percentOf(4, 4)).to.equal(100);
  });

  it("passes at the pass mark exactly and not below it", () => {
    const half = [grade({ scenario: "s", check: "c", status: "passed", points: 2, earned: 1 })];
    const at = (passMarkPercent: number) => summarize(half, { ...meta, passMarkPercent });
    expect(at(50).passed).to.equal(true);
    expect(at(50.1).passed).to.equal(false);
    expect(summarize(grades, { ...meta, passMarkPercent: 43 }).passed).to.equal(false);
  });

  it("does not pass a run with nothing graded, whatever the pass mark", () => {
    const nothing = summarize([grades[2]!], { ...meta, passMarkPercent: 0 });
    expect(nothing).to.include({ points: 0, earned: 0, percent: 0, passed: false });
  });

  it("totals each scenario, in first-seen order, with its lab and every check but without outcomes", () => {
    expect(summary.scenarios.map(({ id, lab, points, earned }) => ({ id, lab, points, earned }))).to.deep.equal([
      { id: "bridge-mode", lab: "two-hosts", points: 5, earned: 2 },
      { id: "vlan", lab: "", points: 2, earned: 1 },
    ]);
    expect(summary.scenarios[0]!.checks.map((c) => c.check)).to.deep.equal(["ping-peer", "mode-bridge", "setup-ran"]);
    for (const check of summary.scenarios.flatMap((s) => s.checks)) expect(check).not.to.have.property("outcome");
  });

  it("stamps the summary with an ISO time", () => {
    expect(new Date(summary.timestamp).toISOString()).to.equal(summary.timestamp);
  });
});

describe("gradeTable", () => {
  const summary = summarize(grades, meta);
  const lines = gradeTable(summary).split("\n");
  const row = (check: string, score: string, result: string) => `  ${check.padEnd(40)} ${score.padStart(5)}  ${result}`;

  it("lists every check under its scenario with points, result, and what to do about failures", () => {
    expect(lines).to.deep.equal([
      "bridge-mode (lab two-hosts): 2/5",
      row("ping-peer", "2/2", "pass"),
      row("mode-bridge", "0/3", "FAIL"),
      "      expected mode bridge, saw mode vepa",
      "      hint: ip link add … mode bridge",
      row("setup-ran", "0/5", "not graded"),
      "      reads the outcome of the harness's own setup step",
      "vlan (lab ): 1/2",
      row("tagged", "0/1", "blocked"),
      "      blocked by vid",
      "      hint: add the VLAN first",
      row("vid", "1/1", "pass"),
      "total 3/7 (42.9%), pass mark 40%: PASSED",
    ]);
  });

  it("lines the scores up in one column", () => {
    const rows = lines.filter((l) => /^ {2}\S/.test(l));
    expect(rows).to.have.length(5);
    for (const l of rows) expect(l).to.match(/^ {2}.{40} [ \d]{2}\d\/\d {2}(?:pass|FAIL|blocked|not graded)$/);
  });

  it("gives a check that could not run its reason and hint, and says NOT PASSED below the mark", () => {
    const broken = grade({ scenario: "s", check: "c", status: "failed", reason: "could not run: no netns", hint: "h" });
    expect(
      gradeTable(summarize([broken], meta))
        .split("\n")
        .slice(2),
    ).to.deep.equal(["      could not run: no netns", "      hint: h", "total 0/1 (0%), pass mark 40%: NOT PASSED"]);
  });
});

/**
 * Enough of XML 1.0 to catch what string-built XML gets wrong: a raw <, >, & or " where it breaks the
 * markup, unbalanced elements, more than one root.
 */
function assertWellFormed(xml: string): void {
  const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';
  expect(xml.startsWith(declaration), "XML declaration").to.equal(true);
  const badAmpersand = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);)/;
  const tag = /^<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>$/;
  const open: string[] = [];
  let roots = 0;
  for (const [token] of xml.slice(declaration.length).matchAll(/<[^>]*>|[^<]+/g)) {
    expect(badAmpersand.test(token), `bare & in ${token}`).to.equal(false);
    if (!token.startsWith("<")) {
      expect(open.length > 0 || token.trim() === "", `text outside the root: ${token}`).to.equal(true);
      continue;
    }
    const m = tag.exec(token);
    expect(m, `not a tag: ${token}`).to.not.equal(null);
    const [, closing, name, , selfClosing] = m!;
    if (closing) expect(open.pop(), `</${name}>`).to.equal(name);
    else {
      if (open.length === 0) roots++;
      if (!selfClosing) open.push(name!);
    }
  }
  expect(open, "unclosed elements").to.deep.equal([]);
  expect(roots, "root elements").to.equal(1);
}

const unescapeXml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** Attribute values of every `<element …>` in document order, unescaped. */
function attributes(xml: string, element: string): Array<Record<string, string>> {
  return [...xml.matchAll(new RegExp(`<${element}\\b([^>]*)>`, "g"))].map(([, attrs]) =>
    Object.fromEntries([...attrs!.matchAll(/([\w.-]+)="([^"]*)"/g)].map(([, k, v]) => [k!, unescapeXml(v!)])),
  );
}

describe("gradeJunit", () => {
  const nasty = 'a & b < c > d "e"';
  const summary: GradeSummary = summarize(
    [
      ...grades,
      grade({
        scenario: "vlan",
        check: "quoted",
        status: "failed",
        expected: nasty,
        actual: `<${nasty}>`,
        hint: nasty,
      }),
      grade({ scenario: "vlan", check: "skipped", status: "blocked", reason: `blocked by ${nasty}` }),
      grade({ scenario: "vlan", check: "broken", status: "failed", reason: "could not run: & <no> netns" }),
      grade({ scenario: "vlan", check: "bare", status: "not-graded" }),
    ],
    { ...meta, student: `Ann "O'Neil" & <co>` },
  );
  const xml = gradeJunit(summary);

  it('writes well-formed XML even from text full of & < > "', () => {
    assertWellFormed(xml);
  });

  it("a suite per scenario with its test, failure and skipped counts", () => {
    expect(attributes(xml, "testsuites")).to.deep.equal([{ name: `macvlab grade: Ann "O'Neil" & <co>` }]);
    expect(attributes(xml, "testsuite").map(({ timestamp, ...rest }) => rest)).to.deep.equal([
      { name: "bridge-mode", tests: "3", failures: "1", skipped: "1" },
      { name: "vlan", tests: "6", failures: "2", skipped: "3" },
    ]);
    expect(attributes(xml, "testsuite")[0]!.timestamp).to.equal(summary.timestamp);
  });

  it("a testcase per check carrying its points and earned", () => {
    expect(attributes(xml, "testcase").map((t) => `${t.classname}/${t.name}`)).to.deep.equal([
      "bridge-mode/ping-peer",
      "bridge-mode/mode-bridge",
      "bridge-mode/setup-ran",
      "vlan/tagged",
      "vlan/vid",
      "vlan/quoted",
      "vlan/skipped",
      "vlan/broken",
      "vlan/bare",
    ]);
    const points = attributes(xml, "property").map((p) => `${p.name}=${p.value}`);
    expect(points.slice(0, 4)).to.deep.equal(["points=2", "earned=2", "points=3", "earned=0"]);
  });

  it("a failure says expected vs seen (or why it could not run) and carries the hint, escaped and intact", () => {
    expect(attributes(xml, "failure").map((f) => f.message)).to.deep.equal([
      "expected mode bridge, saw mode vepa",
      `expected ${nasty}, saw <${nasty}>`,
      "could not run: & <no> netns",
    ]);
    const bodies = [...xml.matchAll(/<failure [^>]*>([^<]*)<\/failure>/g)].map(([, body]) => unescapeXml(body!));
    expect(bodies).to.deep.equal(["hint: ip link add … mode bridge", `hint: ${nasty}`, "hint: "]);
  });

  it("blocked and not-graded checks are skipped with their reason, or their status without one", () => {
    expect(attributes(xml, "skipped").map((s) => s.message)).to.deep.equal([
      "reads the outcome of the harness's own setup step",
      "blocked by vid",
      `blocked by ${nasty}`,
      "not-graded",
    ]);
    expect(xml).not.to.match(/<testcase [^>]*name="(?:ping-peer|vid)"[^>]*>.*<(?:failure|skipped)/);
  });

  it("the well-formedness check itself rejects what unescaped text would produce", () => {
    const wrap = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<a>${inner}</a>\n`;
    expect(() => assertWellFormed(wrap("x & y"))).to.throw(/bare &/);
    expect(() => assertWellFormed(wrap('<b c="x"y"/>'))).to.throw(/not a tag/);
    expect(() => assertWellFormed(wrap("<b>1 < 2</b>"))).to.throw();
    expect(() => assertWellFormed(wrap("<b>"))).to.throw();
    expect(() => assertWellFormed(`${wrap("")}<a/>`)).to.throw(/root elements/);
  });
});

describe("publishGrade", () => {
  const summary = summarize(grades, meta);
  let work: string;
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), "macvlab-grade-files-"))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it("prints the table and writes both files", () => {
    let printed = "";
    const files = { json: join(work, "out", "grade.json"), junit: join(work, "out", "grade-junit.xml") };
    publishGrade(summary, files, (text) => (printed += text));
    expect(printed).to.include(gradeTable(summary));
    expect(JSON.parse(readFileSync(files.json, "utf8"))).to.deep.equal(JSON.parse(JSON.stringify(summary)));
    expect(readFileSync(files.junit, "utf8")).to.equal(gradeJunit(summary));
    expect(readdirSync(join(work, "out")).sort()).to.deep.equal(["grade-junit.xml", "grade.json"]);
  });

  it("prints the whole grade and names the file when it cannot be written (exit 3)", () => {
    // A regular file where the directory should be: refused even for root (unlike a chmod).
    writeFileSync(join(work, "blocked"), "");
    let printed = "";
    let thrown: unknown;
    try {
      publishGrade(summary, { json: join(work, "blocked", "grade.json"), junit: join(work, "j.xml") }, (text) => {
        printed += text;
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(OutputError);
    expect((thrown as Error).message).to.match(
      /the grade could not be written to .*blocked\/grade\.json: E(NOTDIR|EXIST)/,
    );
    expect(exitCodeFor(thrown)).to.equal(3);
    expect(printed).to.include(gradeTable(summary));
    const json = printed.slice(printed.indexOf("{"));
    expect(JSON.parse(json)).to.deep.equal(JSON.parse(JSON.stringify(summary)));
  });

  it("removes last run's grade when this one cannot be written, so it is not read as this one's", () => {
    writeFileSync(join(work, "grade.json"), "last run");
    writeFileSync(join(work, "grade-junit.xml"), "last run");
    writeFileSync(join(work, "blocked"), "");
    const files = { json: join(work, "grade.json"), junit: join(work, "blocked", "grade-junit.xml") };
    expect(() => publishGrade(summary, files, () => {})).to.throw(OutputError);
    expect(JSON.parse(readFileSync(files.json, "utf8")).student).to.equal("ann");
    writeFileSync(join(work, "grade.json"), "last run");
    const blocked = { json: join(work, "blocked", "grade.json"), junit: join(work, "grade-junit.xml") };
    expect(() => publishGrade(summary, blocked, () => {})).to.throw(OutputError);
    expect(existsSync(join(work, "grade-junit.xml")), "stale JUnit file left").to.equal(false);
  });

  it("replaces a symlink at the grade's path instead of writing through it", () => {
    writeFileSync(join(work, "victim"), "precious");
    symlinkSync(join(work, "victim"), join(work, "grade.json"));
    publishGrade(summary, { json: join(work, "grade.json"), junit: join(work, "grade-junit.xml") }, () => {});
    expect(readFileSync(join(work, "victim"), "utf8")).to.equal("precious");
    expect(lstatSync(join(work, "grade.json")).isFile()).to.equal(true);
  });
});
