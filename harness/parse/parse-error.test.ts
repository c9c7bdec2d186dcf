import { expect } from "chai";
import { ParseError } from "./parse-error.ts";

describe("ParseError", () => {
  it("names the command and the problem, and quotes the text when there is one", () => {
    expect(new ParseError("ping", "no output at all").message).to.equal("cannot parse ping output: no output at all");
    const quoted = new ParseError("route -n", "no header", "default via 10.0.0.1\n");
    expect(quoted.message).to.equal('cannot parse route -n output: no header\n  got: "default via 10.0.0.1\\n"');
    expect(quoted).to.include({ command: "route -n", kind: "infrastructure" });
  });

  it("quotes a long text only in part, so a report is not flooded", () => {
    const got = (text: string) => new ParseError("x", "y", text).message.split("\n  got: ")[1]!;
    // 158 characters are 160 once JSON-quoted: still whole.
    expect(got("a".repeat(158))).to.equal(`"${"a".repeat(158)}"`);
    // Longer: its first 157 (the opening quote and 156 characters), then `..."`.
    expect(got("a".repeat(159))).to.equal(`"${"a".repeat(156)}..."`);
  });

  it("keeps the cause it was given", () => {
    const cause = new SyntaxError("Unexpected token");
    expect(new ParseError("ip -j link show", "not JSON", "{", { cause }).cause).to.equal(cause);
  });
});
