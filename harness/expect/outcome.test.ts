import { AssertionError, expect } from "chai";
import { assertOutcome, assertOutcomeFails, holds, type Outcome } from "./outcome.ts";

const reachable: Outcome = { subject: "a → 10.0.0.2", expected: "reachable", actual: "reachable", detail: "1 sent" };
const unreachable: Outcome = { ...reachable, actual: "unreachable" };

function thrown(attempt: () => void): InstanceType<typeof AssertionError> {
  try {
    attempt();
  } catch (error) {
    if (error instanceof AssertionError) return error;
    throw error;
  }
  throw new Error("expected an AssertionError");
}

describe("outcomes", () => {
  it("hold when the network showed what the scenario expects, in the same words", () => {
    expect(holds(reachable)).to.equal(true);
    expect(holds(unreachable)).to.equal(false);
    expect(() => assertOutcome(reachable)).not.to.throw();
  });

  it("fail as a chai AssertionError naming both sides, the evidence in brackets, with a diff", () => {
    const error = thrown(() => assertOutcome(unreachable));
    expect(error.message).to.equal("a → 10.0.0.2 — expected reachable, saw unreachable [1 sent]");
    expect(error).to.include({ expected: "reachable", actual: "unreachable", showDiff: true });
    expect(thrown(() => assertOutcome({ ...unreachable, detail: "" })).message).to.equal(
      "a → 10.0.0.2 — expected reachable, saw unreachable",
    );
  });

  it("a negative control fails when the outcome still holds without its cause, and passes otherwise", () => {
    const error = thrown(() => assertOutcomeFails(reachable, "with the link down"));
    expect(error.message).to.equal(
      'a → 10.0.0.2: still "reachable" with the link down; this check cannot detect the cause it claims to test',
    );
    expect(error).to.include({ expected: "not reachable", actual: "reachable", showDiff: false });
    expect(() => assertOutcomeFails(unreachable, "with the link down")).not.to.throw();
  });
});
