import { expect } from "chai";
import { ParseError } from "./parse-error.ts";
import { interruption, parsePingTimeline } from "./ping-timeline.ts";

const TARGET = "192.168.60.1";
const START = 1764650000.123456;

/** A reply line as iputils `ping -D -n` prints it, `seq` probes of `intervalMs` after the first. */
const reply = (seq: number, intervalMs = 50, from = TARGET, tail = "") =>
  `[${(START + ((seq - 1) * intervalMs + 0.1) / 1000).toFixed(6)}] 64 bytes from ${from}: icmp_seq=${seq} ttl=64 time=0.105 ms${tail}`;

/** The whole output of `ping -n -D -c SENT -i 0.05 -W 1 TARGET` with the given probes answered. */
const run = (sent: number, answered: readonly number[], intervalMs = 50) =>
  [
    `PING ${TARGET} (${TARGET}) 56(84) bytes of data.`,
    ...answered.map((seq) => reply(seq, intervalMs)),
    "",
    `--- ${TARGET} ping statistics ---`,
    `${sent} packets transmitted, ${answered.length} received, ${Math.round((100 * (sent - answered.length)) / sent)}% packet loss, time ${(sent - 1) * intervalMs}ms`,
    answered.length ? "rtt min/avg/max/mdev = 0.041/0.098/0.105/0.011 ms" : "",
    "",
  ].join("\n");

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("ping -D timeline", () => {
  describe("parsePingTimeline", () => {
    it("reads each answered probe with the time ping printed it, in sequence order", () => {
      const out = [
        `PING ${TARGET} (${TARGET}) 56(84) bytes of data.`,
        "[1764650000.123556] 64 bytes from 192.168.60.1: icmp_seq=1 ttl=64 time=0.105 ms",
        "[1764650000.224012] 64 bytes from 192.168.60.1: icmp_seq=3 ttl=64 time=0.081 ms",
        // Arriving late, after the next one.
        "[1764650000.225321] 64 bytes from 192.168.60.1: icmp_seq=2 ttl=64 time=51.9 ms",
      ].join("\n");
      expect(parsePingTimeline(out, TARGET, 4)).to.deep.equal({
        sent: 4,
        answers: [
          { seq: 1, at: 1764650000.123556 },
          { seq: 2, at: 1764650000.225321 },
          { seq: 3, at: 1764650000.224012 },
        ],
      });
    });

    it("counts the first copy of a duplicated reply only", () => {
      const out = [reply(1), reply(2), reply(2, 70, TARGET, " (DUP!)"), reply(3)].join("\n");
      const { answers } = parsePingTimeline(out, TARGET, 3);
      expect(answers.map((a) => a.seq)).to.deep.equal([1, 2, 3]);
      expect(answers[1]!.at).to.equal(Number(reply(2).slice(1, 18)));
    });

    it("ignores replies from other hosts and the ICMP errors routers send", () => {
      const out = [
        reply(1),
        reply(2, 50, "192.168.60.2"),
        "[1764650000.223911] From 192.168.60.2 icmp_seq=3 Destination Host Unreachable",
        reply(4, 50, "192.168.60.255"),
      ].join("\n");
      expect(parsePingTimeline(out, TARGET, 4).answers.map((a) => a.seq)).to.deep.equal([1]);
    });

    it("refuses a reply from the target without its timestamp: ping ran without -D", () => {
      const out = `${reply(1)}\n64 bytes from 192.168.60.1: icmp_seq=2 ttl=64 time=0.105 ms\n`;
      expect(() => parsePingTimeline(out, TARGET, 2))
        .to.throw(ParseError, /^cannot parse ping -D output: a reply without its \[timestamp\]/)
        .with.property("message")
        .that.includes("icmp_seq=2");
      // Another host's reply is never read, stamped or not.
      expect(() =>
        parsePingTimeline("64 bytes from 10.0.0.9: icmp_seq=1 ttl=64 time=0.1 ms", TARGET, 1),
      ).not.to.throw();
    });
  });

  describe("interruption", () => {
    const measure = (sent: number, answered: readonly number[], tail: number, intervalMs = 50) =>
      interruption(parsePingTimeline(run(sent, answered, intervalMs), TARGET, sent), intervalMs, tail);

    it("nothing lost: the longest gap is one interval", () => {
      expect(measure(40, range(1, 40), 10)).to.deep.equal({ lost: 0, lossPercent: 0, longestGapMs: 50, lostAtEnd: 0 });
    });

    it("probes lost in the middle: the gap is the time between the answers around them", () => {
      // 21..30 lost: the answer to 31 comes 11 intervals after the answer to 20.
      expect(measure(80, [...range(1, 20), ...range(31, 80)], 10)).to.deep.equal({
        lost: 10,
        lossPercent: 13,
        longestGapMs: 550,
        lostAtEnd: 0,
      });
    });

    it("probes lost at the start: the gap runs from the first probe's slot to the first answer", () => {
      expect(measure(40, range(7, 40), 10)).to.deep.equal({
        lost: 6,
        lossPercent: 15,
        longestGapMs: 300,
        lostAtEnd: 0,
      });
    });

    it("probes lost at the end: the gap runs to the last probe's slot, and the tail counts them", () => {
      expect(measure(40, range(1, 32), 10)).to.deep.equal({
        lost: 8,
        lossPercent: 20,
        longestGapMs: 400,
        lostAtEnd: 8,
      });
      expect(measure(40, range(1, 32), 5).lostAtEnd).to.equal(5);
      expect(measure(40, range(1, 32), 0).lostAtEnd).to.equal(0);
    });

    it("the longest of several gaps wins, whichever end it is at", () => {
      // 2 lost at the start (100 ms), 3 in the middle (200 ms), 5 at the end (250 ms).
      const answered = [...range(3, 10), ...range(14, 35)];
      expect(measure(40, answered, 4)).to.deep.equal({ lost: 10, lossPercent: 25, longestGapMs: 250, lostAtEnd: 4 });
    });

    it("nothing answered: everything lost, the whole run silent", () => {
      expect(measure(20, [], 30)).to.deep.equal({ lost: 20, lossPercent: 100, longestGapMs: 1000, lostAtEnd: 20 });
    });
  });
});
