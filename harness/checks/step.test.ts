import { expect } from "chai";
import { judgeStep, step } from "./step.ts";

const spec = (input: object) => step.schema.parse({ id: "second", ...input });
const ran = (exitCode: number | undefined, stderr = "") => ({ command: "ip link add …", exitCode, stderr });

describe("step", () => {
  it("a failure as the documents quote it: exit status and the error text, with the command as detail", () => {
    const outcome = judgeStep(
      spec({ stderr: "Invalid argument" }),
      ran(2, "RTNETLINK answers: Invalid argument\nsecond line\n"),
    );
    expect(outcome).to.deep.equal({
      subject: "setup step second",
      expected: 'exit nonzero, stderr contains "Invalid argument"',
      actual: 'exit nonzero, stderr contains "Invalid argument"',
      detail: "ip link add … → RTNETLINK answers: Invalid argument",
    });
  });

  it("other error text: shows its first line", () => {
    const outcome = judgeStep(spec({ stderr: "Invalid argument" }), ran(2, "Error: unknown device\nusage: …\n"));
    expect(outcome.actual).to.equal('exit nonzero, stderr "Error: unknown device"');
  });

  it("without a stderr expectation, the exit status alone", () => {
    const outcome = judgeStep(spec({}), ran(0, "warning\n"));
    expect([outcome.expected, outcome.actual]).to.deep.equal(["exit nonzero", "exit zero"]);
  });

  it("an exact exit status, and 'none' when a signal ended the step", () => {
    const exact = spec({ exit: 2 });
    expect([judgeStep(exact, ran(2)).expected, judgeStep(exact, ran(2)).actual]).to.deep.equal(["exit 2", "exit 2"]);
    expect(judgeStep(exact, ran(1)).actual).to.equal("exit 1");
    expect(judgeStep(exact, ran(undefined)).actual).to.equal("exit none");
    expect(judgeStep(spec({ exit: "zero" }), ran(0)).actual).to.equal("exit zero");
  });

  it("a step that did not run is a verdict, with nothing to show", () => {
    expect(judgeStep(spec({}), undefined)).to.deep.equal({
      subject: "setup step second",
      expected: "exit nonzero",
      actual: "step did not run",
      detail: "",
    });
  });

  it("takes zero, nonzero (the default) or a status from 0 to 255", () => {
    expect(spec({}).exit).to.equal("nonzero");
    for (const exit of ["zero", "nonzero", 0, 2, 255]) expect(spec({ exit }).exit).to.equal(exit);
    for (const exit of [-1, 256, 1.5, "one"])
      expect(step.schema.safeParse({ id: "second", exit }).success, String(exit)).to.equal(false);
  });
});
