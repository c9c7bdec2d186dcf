import { expect } from "chai";
import { compact, parsePingFixture, pingFixtureNames } from "./fixture-files.ts";

// Goldens for real BusyBox v1.35.0 `ping` runs captured by fixtures/capture.sh, then for outputs constructed
// from busybox's format strings (see fixtures/README.md).
// busybox counts seq from 0, prints no ICMP error lines and an integer loss percentage.
const ok = { flavour: "busybox", errors: 0, duplicates: 0, problems: [], notes: [], warnings: [] };
const golden: Record<string, Record<string, unknown>> = {
  "ping-busybox-reply": {
    ...ok,
    target: "10.99.0.2",
    transmitted: 3,
    received: 3,
    lossPercent: 0,
    rtt: "0.044/0.065/0.085",
    replies: ["10.99.0.2 seq=0 ttl=64 0.044ms", "10.99.0.2 seq=1 ttl=64 0.068ms", "10.99.0.2 seq=2 ttl=64 0.085ms"],
  },
  "ping-busybox-ttl63": {
    ...ok,
    target: "10.99.2.2",
    transmitted: 3,
    received: 3,
    lossPercent: 0,
    rtt: "0.041/0.098/0.161",
    replies: ["10.99.2.2 seq=0 ttl=63 0.041ms", "10.99.2.2 seq=1 ttl=63 0.161ms", "10.99.2.2 seq=2 ttl=63 0.094ms"],
  },
  "ping-busybox-ipv6": {
    ...ok,
    target: "fd99::2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.048/0.068/0.089",
    replies: ["fd99::2 seq=0 ttl=64 0.048ms", "fd99::2 seq=1 ttl=64 0.089ms"],
  },
  "ping-busybox-interface": {
    ...ok,
    target: "10.99.0.2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.036/0.052/0.068",
    replies: ["10.99.0.2 seq=0 ttl=64 0.036ms", "10.99.0.2 seq=1 ttl=64 0.068ms"],
  },
  "ping-busybox-localhost": {
    ...ok,
    target: "127.0.0.1",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.027/0.044/0.061",
    replies: ["127.0.0.1 seq=0 ttl=64 0.027ms", "127.0.0.1 seq=1 ttl=64 0.061ms"],
  },
  "ping-busybox-loopback": {
    ...ok,
    target: "127.0.0.1",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.038/0.055/0.072",
    replies: ["127.0.0.1 seq=0 ttl=64 0.038ms", "127.0.0.1 seq=1 ttl=64 0.072ms"],
  },
  "ping-busybox-quiet": {
    ...ok,
    target: "10.99.0.2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.075/0.082/0.09",
    replies: [],
  },
  "ping-busybox-timeout": {
    ...ok,
    target: "10.99.0.77",
    transmitted: 2,
    received: 0,
    lossPercent: 100,
    rtt: undefined,
    replies: [],
  },
  "ping-busybox-host-unreachable": {
    ...ok,
    target: "10.99.0.78",
    transmitted: 5,
    received: 0,
    lossPercent: 100,
    rtt: undefined,
    replies: [],
  },
  "ping-busybox-router-net-unreachable": {
    ...ok,
    target: "10.99.7.1",
    transmitted: 2,
    received: 0,
    lossPercent: 100,
    rtt: undefined,
    replies: [],
  },
  "ping-busybox-partial-loss": {
    ...ok,
    target: "10.99.0.10",
    transmitted: 8,
    received: 3,
    lossPercent: 62,
    rtt: "0.084/436.219/1004.346",
    replies: [
      "10.99.0.10 seq=5 ttl=64 1004.346ms",
      "10.99.0.10 seq=6 ttl=64 304.227ms",
      "10.99.0.10 seq=7 ttl=64 0.084ms",
    ],
  },
  "ping-busybox-broadcast": {
    ...ok,
    target: "10.99.0.255",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    duplicates: 1,
    rtt: "0.115/0.18/0.232",
    replies: ["10.99.0.2 seq=0 ttl=64 0.195ms", "10.99.0.2 seq=0 ttl=64 0.232ms DUP", "10.99.0.2 seq=1 ttl=64 0.115ms"],
  },
  // Header on stdout, then sendto fails: no statistics at all.
  "ping-busybox-net-unreachable": {
    ...ok,
    target: "10.99.2.2",
    transmitted: 0,
    received: 0,
    lossPercent: 100,
    rtt: undefined,
    replies: [],
    problems: ["ping: sendto: Network is unreachable"],
  },
  "ping-busybox-bad-address": {
    ...ok,
    target: "nosuch.invalid",
    transmitted: 0,
    received: 0,
    lossPercent: 100,
    rtt: undefined,
    replies: [],
    problems: ["ping: bad address 'nosuch.invalid'"],
  },
  // -s 2 is under busybox's 4-byte timestamp: no time=, no round-trip line.
  "ping-busybox-constructed-small-payload": {
    ...ok,
    target: "10.0.0.2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: undefined,
    replies: ["10.0.0.2 seq=0 ttl=64", "10.0.0.2 seq=1 ttl=64"],
  },
  "ping-busybox-constructed-dup": {
    ...ok,
    target: "10.0.0.2",
    transmitted: 4,
    received: 2,
    lossPercent: 50,
    duplicates: 2,
    rtt: "0.079/0.087/0.097",
    replies: [
      "10.0.0.2 seq=0 ttl=64 0.084ms",
      "10.0.0.2 seq=0 ttl=64 0.097ms DUP",
      "10.0.0.2 seq=2 ttl=64 0.079ms",
      "10.0.0.2 seq=2 ttl=64 0.091ms DUP",
    ],
  },
};

describe("parsePing on busybox output", () => {
  it("has a golden for every busybox fixture", () => {
    expect(Object.keys(golden).sort()).to.deep.equal(pingFixtureNames().filter((n) => n.startsWith("ping-busybox-")));
  });

  for (const [name, expected] of Object.entries(golden)) {
    it(name, () => {
      expect(compact(parsePingFixture(name))).to.deep.equal(expected);
    });
  }

  it("tells a routed path (TTL 63) from the same segment (TTL 64)", () => {
    expect(parsePingFixture("ping-busybox-ttl63").replies.map((r) => r.ttl)).to.deep.equal([63, 63, 63]);
    expect(parsePingFixture("ping-busybox-reply").replies.map((r) => r.ttl)).to.deep.equal([64, 64, 64]);
  });
});
