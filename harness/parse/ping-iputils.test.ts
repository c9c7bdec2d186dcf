import { expect } from "chai";
import { compact, parsePingFixture, pingFixtureNames } from "./fixture-files.ts";

// Goldens for real iputils 20221126 runs captured by fixtures/capture.sh, then for outputs constructed from
// iputils' format strings (fixtures/README.md says which shape each one stands for).
const ok = { flavour: "iputils", errors: 0, duplicates: 0, problems: [], notes: [], warnings: [] };
const golden: Record<string, Record<string, unknown>> = {
  "ping-iputils-reply": {
    ...ok,
    target: "10.99.0.2",
    transmitted: 3,
    received: 3,
    lossPercent: 0,
    rtt: "0.042/0.102/0.205",
    replies: ["10.99.0.2 seq=1 ttl=64 0.205ms", "10.99.0.2 seq=2 ttl=64 0.042ms", "10.99.0.2 seq=3 ttl=64 0.06ms"],
  },
  "ping-iputils-ttl63": {
    ...ok,
    target: "10.99.2.2",
    transmitted: 3,
    received: 3,
    lossPercent: 0,
    rtt: "0.061/0.108/0.201",
    replies: ["10.99.2.2 seq=1 ttl=63 0.201ms", "10.99.2.2 seq=2 ttl=63 0.064ms", "10.99.2.2 seq=3 ttl=63 0.061ms"],
  },
  "ping-iputils-ipv6": {
    ...ok,
    target: "fd99::2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.06/0.074/0.089",
    replies: ["fd99::2 seq=1 ttl=64 0.089ms", "fd99::2 seq=2 ttl=64 0.06ms"],
  },
  "ping-iputils-interface": {
    ...ok,
    target: "10.99.0.2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.023/0.039/0.055",
    replies: ["10.99.0.2 seq=1 ttl=64 0.023ms", "10.99.0.2 seq=2 ttl=64 0.055ms"],
  },
  "ping-iputils-localhost": {
    ...ok,
    target: "127.0.0.1",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.015/0.024/0.034",
    replies: ["127.0.0.1 seq=1 ttl=64 0.015ms", "127.0.0.1 seq=2 ttl=64 0.034ms"],
  },
  "ping-iputils-loopback": {
    ...ok,
    target: "127.0.0.1",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.041/0.082/0.124",
    replies: ["127.0.0.1 seq=1 ttl=64 0.124ms", "127.0.0.1 seq=2 ttl=64 0.041ms"],
  },
  "ping-iputils-quiet": {
    ...ok,
    target: "10.99.0.2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.029/0.041/0.053",
    replies: [],
  },
  "ping-iputils-timeout": {
    ...ok,
    target: "10.99.0.77",
    transmitted: 2,
    received: 0,
    lossPercent: 100,
    rtt: undefined,
    replies: [],
  },
  "ping-iputils-host-unreachable": {
    ...ok,
    target: "10.99.0.78",
    transmitted: 5,
    received: 0,
    lossPercent: 100,
    errors: 4,
    rtt: undefined,
    replies: [],
    problems: [1, 2, 3, 4].map((n) => `From 10.99.0.1 icmp_seq=${n} Destination Host Unreachable`),
  },
  "ping-iputils-router-net-unreachable": {
    ...ok,
    target: "10.99.7.1",
    transmitted: 2,
    received: 0,
    lossPercent: 100,
    errors: 2,
    rtt: undefined,
    replies: [],
    problems: [1, 2].map((n) => `From 10.99.1.1 icmp_seq=${n} Destination Net Unreachable`),
  },
  "ping-iputils-ttl-exceeded": {
    ...ok,
    target: "10.99.2.2",
    transmitted: 2,
    received: 0,
    lossPercent: 100,
    errors: 2,
    rtt: undefined,
    replies: [],
    problems: [1, 2].map((n) => `From 10.99.1.1 icmp_seq=${n} Time to live exceeded`),
  },
  "ping-iputils-partial-loss": {
    ...ok,
    target: "10.99.0.9",
    transmitted: 8,
    received: 3,
    lossPercent: 62.5,
    errors: 5,
    rtt: "0.059/448.206/1028.356",
    replies: ["10.99.0.9 seq=6 ttl=64 1028ms", "10.99.0.9 seq=7 ttl=64 316ms", "10.99.0.9 seq=8 ttl=64 0.059ms"],
    problems: [1, 2, 3, 4, 5].map((n) => `From 10.99.0.1 icmp_seq=${n} Destination Host Unreachable`),
  },
  // Without -v iputils does not print "(DUP!)" for broadcast replies: the repeated seq tells.
  "ping-iputils-broadcast-dup": {
    ...ok,
    target: "10.99.0.255",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    duplicates: 1,
    rtt: "0.035/0.057/0.069",
    warnings: ["WARNING: pinging broadcast address"],
    replies: ["10.99.0.2 seq=1 ttl=64 0.035ms", "10.99.0.2 seq=1 ttl=64 0.068ms DUP", "10.99.0.2 seq=2 ttl=64 0.069ms"],
  },
  // -v adds "ident=N" to replies and debug chatter on both streams; none of it is a problem.
  "ping-iputils-broadcast-dup-verbose": {
    ...ok,
    target: "10.99.0.255",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    duplicates: 1,
    rtt: "0.048/0.072/0.096",
    warnings: ["WARNING: pinging broadcast address"],
    replies: ["10.99.0.2 seq=1 ttl=64 0.048ms", "10.99.0.2 seq=1 ttl=64 0.096ms DUP", "10.99.0.2 seq=2 ttl=64 0.073ms"],
  },
  "ping-iputils-net-unreachable": {
    ...ok,
    target: "",
    transmitted: 0,
    received: 0,
    lossPercent: 100,
    rtt: undefined,
    replies: [],
    problems: ["ping: connect: Network is unreachable"],
  },
  "ping-iputils-bad-address": {
    ...ok,
    target: "nosuch.invalid",
    transmitted: 0,
    received: 0,
    lossPercent: 100,
    rtt: undefined,
    replies: [],
    problems: ["ping: nosuch.invalid: Temporary failure in name resolution"],
  },
  // -s 4 leaves no room for a timestamp: no time=, no rtt line, yet every probe was answered.
  "ping-iputils-constructed-small-payload": {
    ...ok,
    target: "10.0.0.2",
    transmitted: 3,
    received: 3,
    lossPercent: 0,
    rtt: undefined,
    replies: ["10.0.0.2 seq=1 ttl=64", "10.0.0.2 seq=2 ttl=64", "10.0.0.2 seq=3 ttl=64"],
  },
  "ping-iputils-constructed-truncated": {
    ...ok,
    target: "10.0.0.2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.412/0.455/0.498",
    replies: ["10.0.0.2 seq=1 ttl=64 TRUNCATED", "10.0.0.2 seq=2 ttl=64 TRUNCATED"],
  },
  "ping-iputils-constructed-dup": {
    ...ok,
    target: "10.0.0.2",
    transmitted: 4,
    received: 2,
    lossPercent: 50,
    duplicates: 2,
    rtt: "0.058/0.065/0.074",
    replies: [
      "10.0.0.2 seq=1 ttl=64 0.061ms",
      "10.0.0.2 seq=1 ttl=64 0.074ms DUP",
      "10.0.0.2 seq=3 ttl=64 0.058ms",
      "10.0.0.2 seq=3 ttl=64 0.069ms DUP",
    ],
  },
  // On an ICMP datagram socket the redirect comes through the error queue, hence "+1 errors" at 0 % loss.
  "ping-iputils-constructed-redirect": {
    ...ok,
    target: "10.0.1.2",
    transmitted: 3,
    received: 3,
    lossPercent: 0,
    errors: 1,
    rtt: "0.089/0.198/0.412",
    replies: ["10.0.1.2 seq=1 ttl=63 0.412ms", "10.0.1.2 seq=2 ttl=63 0.089ms", "10.0.1.2 seq=3 ttl=63 0.093ms"],
    notes: ["From 10.0.0.1 icmp_seq=1 Redirect Host(New nexthop: 10.0.0.3)"],
  },
  "ping-iputils-constructed-source-warning": {
    ...ok,
    target: "10.0.0.2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.058/0.064/0.071",
    replies: ["10.0.0.2 seq=1 ttl=64 0.071ms", "10.0.0.2 seq=2 ttl=64 0.058ms"],
    warnings: ["ping: Warning: source address might be selected on device other than: eth0"],
  },
  "ping-iputils-constructed-ipv6-20231222": {
    ...ok,
    target: "fd99::2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.052/0.061/0.071",
    replies: ["fd99::2 seq=1 ttl=64 0.071ms", "fd99::2 seq=2 ttl=64 0.052ms"],
  },
  "ping-iputils-constructed-empty-name": {
    ...ok,
    target: "10.0.0.2",
    transmitted: 2,
    received: 2,
    lossPercent: 0,
    rtt: "0.047/0.049/0.052",
    replies: ["10.0.0.2 seq=1 ttl=64 0.052ms", "10.0.0.2 seq=2 ttl=64 0.047ms"],
  },
};

describe("parsePing on iputils output", () => {
  it("has a golden for every iputils fixture", () => {
    expect(Object.keys(golden).sort()).to.deep.equal(pingFixtureNames().filter((n) => n.startsWith("ping-iputils-")));
  });

  for (const [name, expected] of Object.entries(golden)) {
    it(name, () => {
      expect(compact(parsePingFixture(name))).to.deep.equal(expected);
    });
  }

  it("tells a routed path (TTL 63) from the same segment (TTL 64)", () => {
    expect(parsePingFixture("ping-iputils-ttl63").replies.map((r) => r.ttl)).to.deep.equal([63, 63, 63]);
    expect(parsePingFixture("ping-iputils-reply").replies.map((r) => r.ttl)).to.deep.equal([64, 64, 64]);
  });

  it("keeps the real (DUP!) marker as a flag on the reply", () => {
    const dup = parsePingFixture("ping-iputils-broadcast-dup-verbose").replies[1];
    expect(dup).to.deep.equal({ from: "10.99.0.2", seq: 1, ttl: 64, timeMs: 0.096, duplicate: true });
  });
});
