import { expect } from "chai";
import type { CheckAttempts } from "./results-read.ts";
import { gateFailures, verdicts, verdictsJunit, verdictsMarkdown } from "./verdicts.ts";

const check = (testCaseId: string, ...attempts: Array<Record<string, unknown>>): CheckAttempts => ({
  historyId: `${testCaseId}:h`,
  testCaseId,
  attempts: attempts.map((result, i) => ({ file: `${i}.json`, result: { name: testCaseId, ...result } })),
});

const RUN = verdicts([
  check("s/steady", { status: "passed" }),
  check(
    "s/flap",
    { status: "failed", statusDetails: { message: "expected UP, saw DOWN\nstack" } },
    { status: "passed", statusDetails: { flaky: true } },
  ),
  check("s/known", {
    status: "failed",
    statusDetails: { known: true, message: "expected present, saw absent" },
    links: [{ type: "issue", url: "https://example.org/1" }],
  }),
  check("t/broken", { status: "broken", statusDetails: { message: "lab <down> & gone" } }),
  check("t/mended", {
    status: "passed",
    labels: [{ name: "tag", value: "known-issue-now-passes" }],
    links: [{ type: "issue", url: "https://example.org/2" }],
  }),
]);

describe("verdicts: the gate, JUnit and the job summary", () => {
  it("fails the gate on failures no known issue explains, not on flaky passes or known ones", () => {
    expect(gateFailures(RUN).map((v) => v.testCaseId)).to.deep.equal(["t/broken"]);
  });

  it("writes a flaky pass with its earlier failure, a known one as skipped, a broken one as an error", () => {
    const xml = verdictsJunit(RUN, "macvlab");
    expect(xml).to.include('<testcase classname="s" name="steady"></testcase>');
    expect(xml).to.include('name="flap"><flakyFailure message="expected UP, saw DOWN"/></testcase>');
    expect(xml).to.include('name="known"><skipped message="known issue (https://example.org/1): expected present');
    expect(xml).to.include('name="broken"><error message="lab &lt;down&gt; &amp; gone"/>');
    expect(xml).to.include('<testsuite name="s" tests="3" failures="0" errors="0" skipped="1">');
    expect(xml).to.include('<testsuite name="t" tests="2" failures="0" errors="1" skipped="0">');
  });

  it("sums the run up for a CI job summary", () => {
    const md = verdictsMarkdown(RUN);
    expect(md).to.match(/^## macvlab: 1 failing\n/);
    expect(md).to.include("3 passed (1 flaky), 1 failing, 1 known issue(s), 5 checks in all.");
    expect(md).to.include(
      "### Known issues that now pass (take them out of the known-issues file)\n\n- `t/mended` https://example.org/2",
    );
    expect(md).to.include("### Failing\n\n- `t/broken` lab <down> & gone");
    expect(md).to.include("- `s/flap` first: expected UP, saw DOWN");
    expect(md).to.include("- `s/known` expected present, saw absent — https://example.org/1");
  });
});
