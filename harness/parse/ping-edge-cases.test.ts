import { expect } from "chai";
import { fixture, parsePingFixture, pingFixtureNames } from "./fixture-files.ts";
import { ParseError } from "./parse-error.ts";
import { parsePing } from "./ping.ts";

describe("parsePing edge cases", () => {
  it("parses every captured ping fixture as the flavour its name says", () => {
    const names = pingFixtureNames();
    expect(names.length).to.be.greaterThan(25);
    for (const name of names) {
      expect(parsePingFixture(name).flavour, name).to.equal(name.startsWith("ping-busybox") ? "busybox" : "iputils");
    }
  });

  it("refuses text that is not ping output, naming the tool and quoting the text", () => {
    const attempt = () => parsePing("hello world\nsecond line\n");
    expect(attempt).to.throw(ParseError, /cannot parse ping output: no PING header.*\n {2}got: "hello world/);
    expect(() => parsePing(fixture("ip-route.json"))).to.throw(ParseError);
    // A missing binary is not a ping failure: the lab is broken.
    expect(() => parsePing("", "bash: line 1: busybox: command not found\n")).to.throw(ParseError, /command not found/);
    expect(() => parsePing("", "sh: 1: ping: not found\n")).to.throw(ParseError, /ping: not found/);
  });

  it("files a shell's warning on stderr as a problem, not as ping's warning", () => {
    const setlocale = "bash: warning: setlocale: LC_ALL: cannot change locale (en_US.UTF-8)";
    const summary = parsePing(fixture("ping-iputils-reply.txt"), `${setlocale}\n`);
    expect([summary.problems, summary.warnings]).to.deep.equal([[setlocale], []]);
  });

  it("refuses empty output", () => {
    expect(() => parsePing("", "")).to.throw(ParseError, /^cannot parse ping output: no output at all$/);
    expect(() => parsePing("\n\n")).to.throw(ParseError, /no output at all/);
  });

  it("classifies the error as infrastructure, not as a network expectation failure", () => {
    try {
      parsePing("garbage");
      expect.fail("should have thrown");
    } catch (error) {
      expect(error).to.be.instanceOf(ParseError);
      expect((error as ParseError).kind).to.equal("infrastructure");
      expect((error as ParseError).command).to.equal("ping");
    }
  });

  it("does not throw when ping was killed before its statistics, and says so", () => {
    const cut = fixture("ping-iputils-reply.txt").split("\n").slice(0, 3).join("\n");
    const summary = parsePing(cut);
    expect(summary).to.include({
      flavour: "iputils",
      target: "10.99.0.2",
      transmitted: 0,
      received: 0,
      lossPercent: 100,
    });
    expect(summary.replies).to.have.length(2);
    expect(summary.problems).to.deep.equal(["ping printed no statistics line (interrupted or killed?)"]);
    expect(summary.rtt).to.equal(undefined);
  });

  it("reads CRLF output (ssh with a pty) like LF output", () => {
    const lf = fixture("ping-busybox-ttl63.txt");
    expect(parsePing(lf.replaceAll("\n", "\r\n"))).to.deep.equal(parsePing(lf));
  });

  it("ignores blanks at the end of a line", () => {
    for (const name of ["ping-busybox-ttl63", "ping-iputils-ttl63"]) {
      const text = fixture(`${name}.txt`);
      expect(parsePing(text.replaceAll("\n", "  \n")), name).to.deep.equal(parsePing(text));
    }
  });

  it("without a header it recognises (a variant it does not know, a lost first line), tells the tool by its wording", () => {
    const withoutHeader = (name: string, keep: (line: string) => boolean = () => true) =>
      fixture(`${name}.txt`)
        .split("\n")
        .filter((line) => !line.startsWith("PING ") && keep(line))
        .join("\n");
    const flavour = (text: string) => parsePing(text).flavour;
    // Replies only: "seq=" is busybox's, "icmp_seq=" iputils'.
    const replies = (line: string) => line.includes(" bytes from ");
    expect(flavour(withoutHeader("ping-busybox-reply", replies))).to.equal("busybox");
    expect(flavour(withoutHeader("ping-iputils-reply", replies))).to.equal("iputils");
    // Statistics only (-q): "N packets received" is busybox's, "N received" iputils'.
    expect(parsePing(withoutHeader("ping-busybox-quiet"))).to.include({ flavour: "busybox", target: "", received: 2 });
    expect(flavour(withoutHeader("ping-iputils-quiet"))).to.equal("iputils");
  });

  it("names the host iputils could not resolve because it has no address", () => {
    const summary = parsePing("", "ping: nosuch.example: No address associated with hostname\n");
    expect(summary).to.include({ flavour: "iputils", target: "nosuch.example" });
  });

  it("accepts iputils -D timestamps (hand-written sample in the documented iputils format)", () => {
    const summary = parsePing(
      [
        "PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.",
        "[1700000000.123456] 64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.050 ms",
        "[1700000001.123456] From 10.0.0.1 icmp_seq=2 Destination Host Unreachable",
      ].join("\n"),
    );
    expect(summary.replies).to.deep.equal([{ from: "10.0.0.2", seq: 1, ttl: 64, timeMs: 0.05 }]);
    expect(summary.problems).to.deep.equal(["From 10.0.0.1 icmp_seq=2 Destination Host Unreachable"]);
  });

  it("files ping's broadcast WARNING as a warning, not as a problem", () => {
    const summary = parsePingFixture("ping-iputils-broadcast-dup");
    expect(summary.problems).to.deep.equal([]);
    expect(summary.warnings).to.deep.equal(["WARNING: pinging broadcast address"]);
  });
});

describe("parsePing on shapes constructed from the iputils and busybox sources", () => {
  it("counts replies without time= as replies, with their TTL (small -s)", () => {
    for (const name of ["ping-iputils-constructed-small-payload", "ping-busybox-constructed-small-payload"]) {
      const summary = parsePingFixture(name);
      expect(summary.replies, name).to.have.length(summary.received).and.not.be.empty;
      for (const reply of summary.replies) {
        expect(reply, name).to.include({ from: "10.0.0.2", ttl: 64 });
        expect(reply, name).not.to.have.property("timeMs");
      }
    }
  });

  it("keeps a (truncated) reply as a reply and says it was truncated", () => {
    const [first] = parsePingFixture("ping-iputils-constructed-truncated").replies;
    expect(first).to.deep.equal({ from: "10.0.0.2", seq: 1, ttl: 64, truncated: true });
  });

  it("flags every repeated answer as a duplicate, so that distinct seqs match `received`", () => {
    for (const name of ["ping-iputils-constructed-dup", "ping-busybox-constructed-dup"]) {
      const summary = parsePingFixture(name);
      const firsts = summary.replies.filter((r) => !r.duplicate);
      expect(
        firsts.map((r) => r.seq),
        name,
      ).to.have.length(summary.received);
      expect(summary.replies.length - firsts.length, name).to.equal(summary.duplicates);
    }
  });

  it("files an ICMP redirect as a note: the host still answered", () => {
    const summary = parsePingFixture("ping-iputils-constructed-redirect");
    expect(summary.problems).to.deep.equal([]);
    expect(summary.notes).to.deep.equal(["From 10.0.0.1 icmp_seq=1 Redirect Host(New nexthop: 10.0.0.3)"]);
    expect(summary.replies).to.have.length(3);
  });

  it("files ping's stderr Warning: as a warning, not as a problem", () => {
    const summary = parsePingFixture("ping-iputils-constructed-source-warning");
    expect(summary.problems).to.deep.equal([]);
    expect(summary.warnings).to.deep.equal([
      "ping: Warning: source address might be selected on device other than: eth0",
    ]);
  });

  it("tells iputils' spaced IPv6 header (>= 20231222) from busybox's", () => {
    const iputils = parsePingFixture("ping-iputils-constructed-ipv6-20231222");
    expect(iputils).to.include({ flavour: "iputils", target: "fd99::2" });
    expect(parsePingFixture("ping-busybox-ipv6")).to.include({ flavour: "busybox", target: "fd99::2" });
  });

  it("keeps the target when the resolver gave no name: `PING  (10.0.0.2)`", () => {
    const summary = parsePingFixture("ping-iputils-constructed-empty-name");
    expect(summary).to.include({ flavour: "iputils", target: "10.0.0.2" });
  });

  // Hand-written header lines, each printed by the format strings quoted in ping-header.ts.
  it("reads the -I and -F header variants of both tools", () => {
    const header = (line: string) => {
      const { flavour, target } = parsePing(`${line}\n`);
      return `${flavour} ${target}`;
    };
    expect(header("PING fd99::2 (fd99::2) from fd99::1 va0: 56 data bytes")).to.equal("iputils fd99::2");
    expect(header("PING 10.0.0.2 (10.0.0.2) from 10.0.0.1 : 56(84) bytes of data.")).to.equal("iputils 10.0.0.2");
    expect(header("PING fd99::2 (fd99::2) , flow 0x12345, 56 data bytes")).to.equal("iputils fd99::2");
    expect(header("PING 10.0.0.2 (10.0.0.2) from 10.0.0.1: 56 data bytes")).to.equal("busybox 10.0.0.2");
  });

  // Hand-written: busybox's bb_error_msg("warning: got ICMP %d (%s)") with its names for types 5 and 3.
  it("reads busybox's 'got ICMP' warning by the ICMP type it names", () => {
    const stdout = [
      "PING 10.0.1.2 (10.0.1.2): 56 data bytes",
      "64 bytes from 10.0.1.2: seq=0 ttl=63 time=0.412 ms",
      "",
      "--- 10.0.1.2 ping statistics ---",
      "1 packets transmitted, 1 packets received, 0% packet loss",
      "round-trip min/avg/max = 0.412/0.412/0.412 ms",
    ].join("\n");
    const redirect = parsePing(stdout, "ping: warning: got ICMP 5 (Redirect (change route))\n");
    expect([redirect.notes, redirect.problems, redirect.warnings]).to.deep.equal([
      ["ping: warning: got ICMP 5 (Redirect (change route))"],
      [],
      [],
    ]);
    const unreachable = parsePing(stdout, "ping: warning: got ICMP 3 (Destination Unreachable)\n");
    expect(unreachable.problems).to.deep.equal(["ping: warning: got ICMP 3 (Destination Unreachable)"]);
  });
});
