import { expect } from "chai";
import { exitCodeFor, InfrastructureError, InputError, OutputError } from "./errors.ts";

describe("error family", () => {
  it("maps bad input to exit 2, unwritable results to 3 and everything else to 1", () => {
    expect(exitCodeFor(new InputError("bad"))).to.equal(2);
    expect(exitCodeFor(new OutputError("disk full"))).to.equal(3);
    expect(exitCodeFor(new InfrastructureError("sshd died"))).to.equal(1);
    expect(exitCodeFor(new Error("bug"))).to.equal(1);
  });
  it("lists the issues under the message", () => {
    expect(new InputError("lab refused", ["a.yaml:3:5 nodes.n1: bad"]).message).to.equal(
      "lab refused\n  a.yaml:3:5 nodes.n1: bad",
    );
  });
});
