import { expect } from "chai";
import { InputError } from "../model/errors.ts";
import { BoundedOutput, DEFAULT_OUTPUT_CAP_BYTES, outputCapFromEnv } from "./bounded-output.ts";

describe("BoundedOutput", () => {
  it("keeps everything up to the cap, exactly at the cap included", () => {
    const out = BoundedOutput.headAndTail(10);
    out.append("01234");
    out.append(Buffer.from("56789"));
    expect(out.text()).to.equal("0123456789");
    expect(out.truncated).to.equal(false);
    expect(out.totalBytes).to.equal(10);
  });

  it("is empty until something is appended", () => {
    const out = BoundedOutput.headAndTail(10);
    expect(out.text()).to.equal("");
    expect(out.truncated).to.equal(false);
    expect(out.totalBytes).to.equal(0);
  });

  it("keeps the first and last half of the cap around a marker with the exact number of bytes cut", () => {
    const out = BoundedOutput.headAndTail(10);
    out.append("abcdefghij");
    out.append("k");
    expect(out.truncated).to.equal(true);
    expect(out.totalBytes).to.equal(11);
    expect(out.text()).to.equal("abcde\n… 1 bytes cut …\nghijk");
  });

  it("keeps the right tail across many small chunks and one chunk larger than the whole cap", () => {
    const out = BoundedOutput.headAndTail(8);
    for (const c of "0123456789abcdef") out.append(c);
    expect(out.text()).to.equal("0123\n… 8 bytes cut …\ncdef");
    out.append(`${"x".repeat(100)}WXYZ`);
    expect(out.text()).to.equal("0123\n… 112 bytes cut …\nWXYZ");
    expect(out.totalBytes).to.equal(120);
  });

  it("puts the marker on its own line without doubling a newline the head ends with", () => {
    const out = BoundedOutput.headAndTail(8);
    out.append("abc\ndefghijkl\n");
    expect(out.text()).to.equal("abc\n… 6 bytes cut …\njkl\n");
  });

  it("never splits a multi-byte UTF-8 character at either cut, and counts its bytes as cut", () => {
    // "€" is 3 bytes and "é" 2: the head (5 bytes) ends inside "€", the tail (5 bytes) starts inside "é".
    const out = BoundedOutput.headAndTail(10);
    out.append("abc€d"); // a b c [e2 82 | ac] d
    out.append("x".repeat(20));
    out.append("éfghi"); // [c3 | a9] f g h i
    const text = out.text();
    expect(text).to.equal("abc\n… 26 bytes cut …\nfghi");
    expect(text).to.not.include("\uFFFD");
    const nothingWhole = BoundedOutput.headAndTail(4);
    nothingWhole.append("a€€"); // head: a [e2 | tail: 82 ac]
    expect(nothingWhole.text()).to.equal("a\n… 6 bytes cut …\n");
  });

  it("as a tail-only log keeps the newest bytes and says how many came before", () => {
    const log = BoundedOutput.tailOnly(6);
    log.append("line1\nline2\n");
    expect(log.text()).to.equal("… 6 bytes cut …\nline2\n");
    expect(log.lastLines(2)).to.equal("line2\n");
  });

  it("holds memory bounded when fed far more than its cap in small chunks", () => {
    const out = BoundedOutput.headAndTail(1024);
    const chunk = Buffer.alloc(7, "z");
    for (let i = 0; i < 100_000; i++) out.append(chunk);
    expect(out.totalBytes).to.equal(700_000);
    expect(Buffer.byteLength(out.text())).to.be.lessThan(1024 + 40);
  });
});

describe("outputCapFromEnv", () => {
  it("defaults to 4 MiB and reads a positive whole number", () => {
    expect(outputCapFromEnv({})).to.equal(DEFAULT_OUTPUT_CAP_BYTES);
    expect(DEFAULT_OUTPUT_CAP_BYTES).to.equal(4 * 1024 * 1024);
    expect(outputCapFromEnv({ MACVLAB_OUTPUT_CAP_BYTES: "65536" })).to.equal(65536);
  });

  for (const bad of ["0", "-1", "1.5", "4M", "abc", "1e6", " "])
    it(`refuses ${JSON.stringify(bad)} with an InputError naming the variable`, () => {
      expect(() => outputCapFromEnv({ MACVLAB_OUTPUT_CAP_BYTES: bad }))
        .to.throw(InputError)
        .with.property("message")
        .that.includes("MACVLAB_OUTPUT_CAP_BYTES");
    });
});
