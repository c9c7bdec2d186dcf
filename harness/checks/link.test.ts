import { expect } from "chai";
import { holds } from "../expect/outcome.ts";
import { fixture } from "../parse/fixture-files.ts";
import { parseIpLinks } from "../parse/ip-json.ts";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import { judgeLink, link, summary } from "./link.ts";

const detailed = parseIpLinks(fixture("ip-link-details.json"));
const plain = parseIpLinks(fixture("ip-link.json"));
const named = (links: typeof plain, name: string) => links.find((l) => l.ifname === name)!;
const spec = (input: object) => link.schema.parse({ node: "a", ...input });

// Hand-written in the shape of `ip -j -d link show` (iproute2 6.1): the fixtures' kernel could not make
// VLAN devices, a WireGuard link has no MAC, and a NIC enslaved to a bridge has a linkinfo without a kind.
const [vlan, wireguard, port] = parseIpLinks(
  JSON.stringify([
    {
      ifindex: 5,
      link: "enp0s3",
      ifname: "enp0s3.100",
      flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      mtu: 1500,
      operstate: "UP",
      address: "08:00:27:00:01:03",
      linkinfo: { info_kind: "vlan", info_data: { protocol: "802.1Q", id: 100, flags: ["REORDER_HDR"] } },
    },
    {
      ifindex: 6,
      ifname: "wg0",
      flags: ["POINTOPOINT", "NOARP", "UP", "LOWER_UP"],
      mtu: 1420,
      operstate: "UNKNOWN",
      linkinfo: { info_kind: "wireguard" },
    },
    {
      ifindex: 3,
      ifname: "enp0s8",
      flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      mtu: 1500,
      operstate: "UP",
      address: "08:00:27:00:02:03",
      master: "br0",
      linkinfo: { info_slave_kind: "bridge" },
    },
  ]),
);

describe("link", () => {
  describe("judgeLink", () => {
    it("an absent expectation: a present device fails with what it is, a missing one holds", () => {
      const mv1 = named(detailed, "mv1");
      expect(judgeLink(spec({ dev: "mv1", exists: false }), mv1, "a")).to.deep.equal({
        subject: "a: link mv1",
        expected: "absent",
        actual: "present",
        detail: summary(mv1),
      });
      expect(judgeLink(spec({ dev: "mv1", exists: false }), undefined, "a")).to.deep.equal({
        subject: "a: link mv1",
        expected: "absent",
        actual: "absent",
        detail: "",
      });
    });

    it("a present expectation on a missing device says which device", () => {
      expect(judgeLink(spec({ dev: "mv9", flags: ["UP"] }), undefined, "a/ns1")).to.deep.equal({
        subject: "a/ns1: link mv9",
        expected: "present, UP",
        actual: "absent",
        detail: "no device mv9",
      });
    });

    it("without_flags: the flag must be off", () => {
      const check = spec({ dev: "va0", without_flags: ["PROMISC"] });
      const promisc = judgeLink(check, named(detailed, "va0"), "a");
      expect([promisc.expected, promisc.actual]).to.deep.equal(["present, not PROMISC", "present, PROMISC"]);
      expect(judgeLink({ ...check, dev: "va1" }, named(detailed, "va1"), "a").actual).to.equal("present, not PROMISC");
    });

    it("reads a VLAN device's kind, id and parent", () => {
      const check = spec({ dev: "enp0s3.100", kind: "vlan", vlan_id: 100, parent: "enp0s3", flags: ["UP"] });
      const outcome = judgeLink(check, vlan, "a");
      expect(outcome.expected).to.equal("present, UP, kind vlan, vlan 100, parent enp0s3");
      expect(holds(outcome)).to.equal(true);
      expect(judgeLink({ ...check, vlan_id: 200 }, vlan, "a").actual).to.equal(
        "present, UP, kind vlan, vlan 100, parent enp0s3",
      );
    });

    it("says 'none' for what the device does not have (here: read without -d, no parent)", () => {
      const check = spec({ dev: "va0", kind: "veth", mode: "bridge", vlan_id: 100, parent: "eth0" });
      const outcome = judgeLink(check, named(plain, "va0"), "a");
      expect([outcome.expected, outcome.actual]).to.deep.equal([
        "present, kind veth, mode bridge, vlan 100, parent eth0",
        "present, kind none, mode none, vlan none, parent none",
      ]);
    });
  });

  it("summarises a device in one line: name@parent <flags> MAC kind mode", () => {
    expect(summary(named(detailed, "mv1"))).to.equal(
      "mv1@va0 <BROADCAST,MULTICAST,UP,LOWER_UP> 2a:ad:aa:06:2c:06 macvlan bridge",
    );
    expect(summary(named(detailed, "va0"))).to.equal(
      "va0 <BROADCAST,MULTICAST,PROMISC,UP,LOWER_UP> d2:19:98:50:b9:ab veth",
    );
    expect(summary(named(plain, "va0"))).to.equal("va0 <BROADCAST,MULTICAST,PROMISC,UP,LOWER_UP> d2:19:98:50:b9:ab");
    expect(summary(wireguard!)).to.equal("wg0 <POINTOPOINT,NOARP,UP,LOWER_UP> wireguard");
    expect(summary(port!)).to.equal("enp0s8 <BROADCAST,MULTICAST,UP,LOWER_UP> 08:00:27:00:02:03");
  });

  describe("schema", () => {
    it("takes every kind and mode it documents", () => {
      for (const kind of ["macvlan", "macvtap", "ipvlan", "vlan", "veth", "bridge"])
        expect(link.schema.safeParse({ node: "a", dev: "x", kind }).success, kind).to.equal(true);
      for (const mode of ["bridge", "private", "vepa", "passthru", "source", "l2", "l3", "l3s"])
        expect(link.schema.safeParse({ node: "a", dev: "x", mode }).success, mode).to.equal(true);
    });

    it("takes flags only as ip prints them", () => {
      expect(spec({ dev: "x", flags: ["LOWER_UP"], without_flags: ["PROMISC"] }).flags).to.deep.equal(["LOWER_UP"]);
      for (const flag of ["up", "Lower_UP", "UP,LOWER_UP"]) {
        const result = link.schema.safeParse({ node: "a", dev: "x", flags: [flag] });
        expect(result.error?.issues[0]?.message, flag).to.match(/^a link flag as `ip link` prints it/);
      }
    });
  });

  describe("commands and probe", () => {
    it("reads the device with -d (kind, mode and VLAN id are details), in its namespace", async () => {
      const check = spec({ netns: "ns1", dev: "mv1", kind: "macvlan", mode: "bridge", parent: "va0" });
      expect(link.commands(check, { checkId: "l", deadlineMs: 0 })).to.deep.equal([
        { node: "a", command: "ip netns exec ns1 ip -j -d link show dev mv1" },
      ]);
      const { env, ran } = fakeProbeEnv({ stdout: JSON.stringify([named(detailed, "mv1")]) });
      expect(holds(await link.probe(check, env, { checkId: "l", deadlineMs: 0 }))).to.equal(true);
      expect(ran).to.deep.equal(["a: ip netns exec ns1 ip -j -d link show dev mv1"]);
    });

    it("calls a failure other than a missing device the check's own, with the command and its stderr", async () => {
      const { env } = fakeProbeEnv({ exitCode: 255, stderr: "ip: command not found\n" });
      const error = await rejection(link.probe(spec({ dev: "mv9" }), env, { checkId: "l", deadlineMs: 0 }));
      expect(error.message).to.equal(
        "check l: read-only command failed on a (exit 255): ip -j -d link show dev mv9\nip: command not found",
      );
    });
  });
});
