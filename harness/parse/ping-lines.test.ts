import { expect } from "chai";
import { parsePingHeader } from "./ping-header.ts";
import { classifyPingNotice } from "./ping-notices.ts";
import { parseReplyLine } from "./ping-reply.ts";
import { parsePingStatistics } from "./ping-statistics.ts";

// The recognisers parsePing runs on each line, one by one. Hand-written lines follow the format strings
// of iputils' ping_common.c and busybox's ping.c, as the constructed fixtures do.
describe("ping's lines, one recogniser at a time", () => {
  it("reply: sequence numbers past 9 (count up to 20), and the wording of each tool", () => {
    expect(parseReplyLine("64 bytes from 10.0.0.2: icmp_seq=12 ttl=64 time=0.050 ms")).to.deep.equal({
      from: "10.0.0.2",
      seq: 12,
      ttl: 64,
      timeMs: 0.05,
      dupMarker: false,
      truncated: false,
      busyboxWording: false,
    });
    expect(parseReplyLine("64 bytes from 10.0.0.2: seq=12 ttl=64 time=0.050 ms")).to.include({
      seq: 12,
      busyboxWording: true,
    });
  });

  it("statistics: two-digit counters of every kind, in either tool's wording", () => {
    expect(
      parsePingStatistics(
        "20 packets transmitted, 12 received, +15 duplicates, +10 errors, 40% packet loss, time 19025ms",
      ),
    ).to.deep.equal({
      transmitted: 20,
      received: 12,
      duplicates: 15,
      errors: 10,
      lossPercent: 40,
      busyboxWording: false,
    });
    expect(
      parsePingStatistics("12 packets transmitted, 12 packets received, 10 duplicates, 0% packet loss"),
    ).to.deep.equal({
      transmitted: 12,
      received: 12,
      duplicates: 10,
      errors: 0,
      lossPercent: 0,
      busyboxWording: true,
    });
  });

  it("statistics: a line missing the sent, received or loss counter is not one", () => {
    const parts = ["3 packets transmitted", "3 received", "0% packet loss"];
    expect(parsePingStatistics(parts.join(", "))).to.include({ transmitted: 3, received: 3, lossPercent: 0 });
    for (const left of parts) {
      const line = parts.filter((p) => p !== left).join(", ");
      expect(parsePingStatistics(line), line).to.equal(undefined);
    }
  });

  it("header: a line cut short is not one", () => {
    expect(parsePingHeader("PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.")).to.deep.equal({
      flavour: "iputils",
      address: "10.0.0.2",
    });
    expect(parsePingHeader("PING 10.0.0.2 (10.0.0.2) 56(84) bytes of da")).to.equal(undefined);
    expect(parsePingHeader("PING 10.0.0.2 (10.0.0.2)")).to.equal(undefined);
  });

  it("notices: only lines ping itself writes, not a shell's that mention ping or warn", () => {
    expect(classifyPingNotice("ping: sendto: Network is unreachable")).to.deep.equal({
      kind: "problem",
      text: "ping: sendto: Network is unreachable",
    });
    expect(classifyPingNotice("sh: 1: ping: not found")).to.equal(undefined);
    expect(classifyPingNotice("bash: warning: setlocale: LC_ALL: cannot change locale (en_US.UTF-8)")).to.equal(
      undefined,
    );
  });
});
