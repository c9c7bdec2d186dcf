import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { flakeRows, flakesText } from "./flakes.ts";

const item = (name: string, status: string, ...tags: string[]) => ({
  name,
  status,
  labels: [{ name: "feature", value: "s: a scenario" }, ...tags.map((value) => ({ name: "tag", value }))],
});

describe("flakes over the report history", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "macvlab-flakes-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("counts runs, failures and flaky passes per check, worst first; a known issue is not a failure", () => {
    const file = join(dir, "history.jsonl");
    const nights = [
      { a: item("flap", "passed", "flaky"), b: item("steady", "passed"), c: item("bad", "failed") },
      { a: item("flap", "passed"), b: item("steady", "passed"), c: item("bad", "failed", "known-issue") },
    ];
    writeFileSync(file, nights.map((testResults, i) => JSON.stringify({ timestamp: i, testResults })).join("\n"));
    const rows = flakeRows(file);
    expect(rows.map((r) => [r.check, r.runs, r.failures, r.flaky, r.known])).to.deep.equal([
      ["s: flap", 2, 0, 1, 0],
      ["s: bad", 2, 1, 0, 1],
      ["s: steady", 2, 0, 0, 0],
    ]);
    const text = flakesText(rows, file);
    expect(text).to.include("s: flap: 2 run(s), 0 failed, 1 flaky (50%)");
    expect(text).to.include("1 check(s) passed every time, first attempt");
  });

  it("says there is no history yet, and refuses a line that is not a history entry with file:line", () => {
    expect(flakesText(flakeRows(join(dir, "none.jsonl")), join(dir, "none.jsonl"))).to.match(/^no history in /);
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, `${JSON.stringify({ timestamp: 1, testResults: {} })}\n{"timestamp": "x"}\n`);
    expect(() => flakeRows(file)).to.throw(/bad\.jsonl:2:1: not an Allure history entry \(timestamp: /);
  });
});
