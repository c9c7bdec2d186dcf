import { expect } from "chai";
import { boundAttachment } from "./bounded-attachment.ts";

describe("boundAttachment", () => {
  it("leaves an attachment within the cap (plus room for one cut marker) alone", () => {
    const small = { name: "stdout", content: "x".repeat(1100), contentType: "text/plain" };
    expect(boundAttachment(small, 1000)).to.equal(small);
  });

  it("keeps head and tail of text over the cap and says so in its name", () => {
    const bounded = boundAttachment(
      { name: "evidence n1", content: `${"a".repeat(1000)}${"b".repeat(1000)}`, contentType: "text/plain" },
      100,
    );
    expect(bounded).to.deep.equal({
      name: "evidence n1 (truncated)",
      content: `${"a".repeat(50)}\n… 1900 bytes cut …\n${"b".repeat(50)}`,
      contentType: "text/plain",
    });
  });

  it("replaces binary content over the cap by a note, never by a broken file", () => {
    const bounded = boundAttachment(
      { name: "capture n1/eth0.pcap", content: Buffer.alloc(5000), contentType: "application/vnd.tcpdump.pcap" },
      1000,
    );
    expect(bounded).to.deep.equal({
      name: "capture n1/eth0.pcap (not attached: too large)",
      content:
        "5000 bytes of application/vnd.tcpdump.pcap: over the attachment cap of 1000 bytes (MACVLAB_OUTPUT_CAP_BYTES)\n",
      contentType: "text/plain",
    });
  });
});
