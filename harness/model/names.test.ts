import { expect } from "chai";
import { InputError } from "./errors.ts";
import { checkName, Id, LabName, StudentId } from "./names.ts";

describe("checkName", () => {
  it("returns a good name and names where a bad one came from", () => {
    expect(checkName(LabName, "two-hosts", "lab")).to.equal("two-hosts");
    expect(() => checkName(Id, "x;rm -rf /", "--break")).to.throw(
      InputError,
      '--break "x;rm -rf /" is not an id: lower-case letters, digits and - (kebab-case)',
    );
  });

  it("quotes control characters and cuts a huge value short", () => {
    expect(() => checkName(Id, "a\nb\u001b[31m", "x")).to.throw(InputError, /"a\\nb\\u001b\[31m"/);
    let message = "";
    try {
      checkName(Id, "y".repeat(100_000), "lab");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.match(/…" \(100000 characters\) is not an id/);
    expect(message.length).to.be.below(200);
  });

  it("accepts the default student id shape, refuses paths and shell", () => {
    for (const ok of ["s-042", "ann@host1.example", "Ann_O.Neil"])
      expect(StudentId.safeParse(ok).success).to.equal(true);
    for (const bad of ["", "../x", "a b", "x;rm", "-rf", "a/b", "é", "x".repeat(65)])
      expect(StudentId.safeParse(bad).success, bad).to.equal(false);
  });
});
