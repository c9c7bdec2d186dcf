import { expect } from "chai";
import { holds } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import { parseBridgeFdb } from "../parse/bridge-fdb.ts";
import { ParseError } from "../parse/parse-error.ts";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import { fdb, judgeFdb } from "./fdb.ts";

const spec = (input: object = {}) => fdb.schema.parse({ ...fdb.example, ...input });
const PLACE = "node1 (node1/ns1 → br0)";
const MAC = "aa:bb:cc:dd:ee:01";

// `ip netns exec ns1 ip -j link show dev eth0`: the namespace's end of the veth pair whose other end, veth1, is a
// port of br0.
const ETH0 = JSON.stringify([
  {
    ifindex: 2,
    link_index: 5,
    ifname: "eth0",
    flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
    mtu: 1500,
    qdisc: "noqueue",
    operstate: "UP",
    linkmode: "DEFAULT",
    group: "default",
    txqlen: 1000,
    link_type: "ether",
    address: MAC,
    broadcast: "ff:ff:ff:ff:ff:ff",
    link_netnsid: 0,
  },
]);

// `bridge -j fdb show br br0`, pieces to build tables from.
const own = [
  { mac: "33:33:00:00:00:01", ifname: "br0", flags: ["self"], state: "permanent" },
  { mac: "01:00:5e:00:00:01", ifname: "br0", flags: ["self"], state: "permanent" },
  { mac: "7e:21:5a:3c:9d:10", ifname: "veth1", vlan: 1, master: "br0", flags: [], state: "permanent" },
  { mac: "7e:21:5a:3c:9d:10", ifname: "veth1", master: "br0", flags: [], state: "permanent" },
  { mac: "33:33:00:00:00:01", ifname: "veth1", flags: ["self"], state: "permanent" },
];
const learnt = (mac: string, ifname: string, extra: object = {}) => ({
  mac,
  ifname,
  master: "br0",
  flags: [],
  state: "",
  ...extra,
});
const table = (...entries: object[]) => parseBridgeFdb(JSON.stringify(entries));
const inspects = (command: string) => fdb.readOnly.some((re) => re.test(command));

describe("fdb", () => {
  describe("judging the forwarding database", () => {
    it("holds when the device's MAC is learnt on the port, among the bridge's own permanent entries", () => {
      const entries = table(...own, learnt(MAC, "veth1"), learnt("aa:bb:cc:dd:ee:02", "veth2"));
      expect(judgeFdb(spec(), MAC, entries, PLACE)).to.deep.equal({
        subject: "node1 (node1/ns1 → br0): br0 forwarding database",
        expected: "aa:bb:cc:dd:ee:01 learnt on veth1",
        actual: "aa:bb:cc:dd:ee:01 learnt on veth1",
        detail: "2 learnt entries on br0",
      });
    });

    it("fails, naming the port, when the MAC was learnt on another port", () => {
      const outcome = judgeFdb(spec(), MAC, table(...own, learnt(MAC, "veth2")), PLACE);
      expect(outcome.actual).to.equal("aa:bb:cc:dd:ee:01 learnt on veth2");
      expect(holds(outcome)).to.equal(false);
    });

    it("fails when the MAC was learnt on the right port and on another one too", () => {
      const entries = table(...own, learnt(MAC, "veth1", { vlan: 1 }), learnt(MAC, "veth2", { vlan: 10 }));
      const outcome = judgeFdb(spec(), MAC, entries, PLACE);
      expect(outcome.actual).to.equal("aa:bb:cc:dd:ee:01 learnt on veth1, veth2");
      expect(holds(outcome)).to.equal(false);
    });

    it("counts a port once when the MAC was learnt there in several VLANs", () => {
      const entries = table(...own, learnt(MAC, "veth1", { vlan: 1 }), learnt(MAC, "veth1", { vlan: 10 }));
      const outcome = judgeFdb(spec(), MAC, entries, PLACE);
      expect([outcome.actual, outcome.detail]).to.deep.equal([
        "aa:bb:cc:dd:ee:01 learnt on veth1",
        "2 learnt entries on br0",
      ]);
      expect(holds(outcome)).to.equal(true);
    });

    it("does not take a permanent entry for the MAC (added by hand, or the port's own) as learnt", () => {
      const handAdded = { mac: MAC, ifname: "veth1", master: "br0", flags: [], state: "permanent" };
      const selfEntry = { mac: MAC, ifname: "veth1", flags: ["self"], state: "permanent" };
      for (const entry of [handAdded, selfEntry]) {
        const outcome = judgeFdb(spec(), MAC, table(...own, entry), PLACE);
        expect(outcome, JSON.stringify(entry)).to.deep.equal({
          subject: "node1 (node1/ns1 → br0): br0 forwarding database",
          expected: "aa:bb:cc:dd:ee:01 learnt on veth1",
          actual: "aa:bb:cc:dd:ee:01 not learnt",
          detail: "0 learnt entries on br0",
        });
      }
    });

    it("fails when nothing was learnt, or only other MACs", () => {
      expect(judgeFdb(spec(), MAC, table(...own), PLACE).actual).to.equal("aa:bb:cc:dd:ee:01 not learnt");
      expect(judgeFdb(spec(), MAC, table(), PLACE).detail).to.equal("0 learnt entries on br0");
      const others = judgeFdb(spec(), MAC, table(...own, learnt("aa:bb:cc:dd:ee:02", "veth1")), PLACE);
      expect([others.actual, others.detail]).to.deep.equal(["aa:bb:cc:dd:ee:01 not learnt", "1 learnt entries on br0"]);
    });

    it("takes an aged (stale) entry, still in the table, as learnt", () => {
      const outcome = judgeFdb(spec(), MAC, table(...own, learnt(MAC, "veth1", { state: "stale" })), PLACE);
      expect(holds(outcome)).to.equal(true);
    });

    it("shows an entry without a port as ?", () => {
      expect(judgeFdb(spec(), MAC, table({ mac: MAC, flags: [] }), PLACE).actual).to.equal(
        "aa:bb:cc:dd:ee:01 learnt on ?",
      );
    });
  });

  describe("the spec", () => {
    it("names a node, a bridge, its port and the device to learn, in a namespace or not", () => {
      expect(spec()).to.deep.equal({
        node: "node1",
        bridge: "br0",
        port: "veth1",
        learns: { netns: "ns1", dev: "eth0" },
      });
      expect(spec({ learns: { dev: "eth0" } }).learns).to.deep.equal({ dev: "eth0" });
    });

    it("refuses unknown keys, a missing device, and names that would smuggle shell", () => {
      for (const input of [
        { expect: "learnt" },
        { learns: { netns: "ns1" } },
        { learns: { netns: "ns1", dev: "eth0", mac: MAC } },
        { bridge: "br0; reboot" },
        { port: "veth1 && ip link del br0" },
        { learns: { netns: "ns1 rm", dev: "eth0" } },
      ])
        expect(fdb.schema.safeParse({ ...fdb.example, ...input }).success, JSON.stringify(input)).to.equal(false);
    });
  });

  describe("probing", () => {
    const ctx = { checkId: "learnt", deadlineMs: 0 };
    const lab = (fdbTable: object[], device = ETH0) =>
      fakeProbeEnv((_node, command) => ({
        stdout: command.startsWith("bridge ") ? JSON.stringify(fdbTable) : device,
      }));

    it("reads the device's MAC in its namespace, then the bridge's table on the node, all read-only", () => {
      const commands = fdb.commands(spec(), ctx);
      expect(commands).to.deep.equal([
        { node: "node1", command: "ip netns exec ns1 ip -j link show dev eth0" },
        { node: "node1", command: "bridge -j fdb show br br0" },
      ]);
      for (const { command } of commands) expect(inspects(command), command).to.equal(true);
      expect(fdb.commands(spec({ learns: { dev: "eth0" } }), ctx)[0]).to.deep.equal({
        node: "node1",
        command: "ip -j link show dev eth0",
      });
    });

    it("its inspectors let through no change to the bridge's table", () => {
      for (const command of [
        "bridge fdb del aa:bb:cc:dd:ee:01 dev veth1 master",
        "bridge fdb add aa:bb:cc:dd:ee:01 dev veth1 master static",
        "bridge -j fdb show br br0; bridge fdb flush dev veth1",
        "bridge -j fdb show br br0 > /etc/passwd",
        "bridge -j fdb show",
      ])
        expect(inspects(command), command).to.equal(false);
    });

    it("names its node, and collects evidence on it and in the device's namespace", () => {
      expect(fdb.nodeRefs(spec())).to.deep.equal([{ node: "node1", path: ["node"] }]);
      expect(fdb.places(spec())).to.deep.equal([{ node: "node1" }, { node: "node1", netns: "ns1" }]);
    });

    it("waits for the first frame: not one-shot, and a longer default deadline", () => {
      expect([fdb.defaultDeadlineMs(spec()), fdb.oneShot(spec()), fdb.graded]).to.deep.equal([3000, false, true]);
    });

    it("judges the MAC it read against the table it read", async () => {
      const { env, ran } = lab([...own, learnt(MAC, "veth1")]);
      expect(await fdb.probe(spec(), env, ctx)).to.deep.equal({
        subject: "node1 (node1/ns1 → br0): br0 forwarding database",
        expected: "aa:bb:cc:dd:ee:01 learnt on veth1",
        actual: "aa:bb:cc:dd:ee:01 learnt on veth1",
        detail: "1 learnt entries on br0",
      });
      expect(ran).to.deep.equal([
        "node1: ip netns exec ns1 ip -j link show dev eth0",
        "node1: bridge -j fdb show br br0",
      ]);
    });

    it("fails on a table where the MAC is learnt elsewhere, only permanent, or absent", async () => {
      const tables = {
        "aa:bb:cc:dd:ee:01 learnt on veth2": [...own, learnt(MAC, "veth2")],
        "aa:bb:cc:dd:ee:01 not learnt": [
          ...own,
          { mac: MAC, ifname: "veth1", master: "br0", flags: [], state: "permanent" },
        ],
      };
      for (const [actual, entries] of Object.entries(tables)) {
        const outcome = await fdb.probe(spec(), lab(entries).env, ctx);
        expect([outcome.actual, holds(outcome)], actual).to.deep.equal([actual, false]);
      }
      expect((await fdb.probe(spec(), lab(own).env, ctx)).actual).to.equal("aa:bb:cc:dd:ee:01 not learnt");
    });

    it("names the root namespace when the device is not in one", async () => {
      const { env, ran } = lab([...own, learnt(MAC, "veth1")]);
      const outcome = await fdb.probe(spec({ learns: { dev: "eth0" } }), env, ctx);
      expect(outcome.subject).to.equal("node1 (node1 → br0): br0 forwarding database");
      expect(ran[0]).to.equal("node1: ip -j link show dev eth0");
    });

    it("a device without a MAC is never found learnt", async () => {
      const { address: _, ...noMac } = JSON.parse(ETH0)[0];
      const outcome = await fdb.probe(spec(), lab([...own, learnt(MAC, "veth1")], JSON.stringify([noMac])).env, ctx);
      expect([outcome.actual, holds(outcome)]).to.deep.equal(["none not learnt", false]);
    });

    it("a missing device or bridge is a failed read-only command, not a verdict", async () => {
      const noDevice = fakeProbeEnv({ exitCode: 1, stderr: 'Device "eth0" does not exist.\n' });
      const error = await rejection(fdb.probe(spec(), noDevice.env, ctx));
      expect(error).to.be.instanceOf(CheckCommandError);
      expect(error.message).to.equal(
        'check learnt: read-only command failed on node1 (exit 1): ip netns exec ns1 ip -j link show dev eth0\nDevice "eth0" does not exist.',
      );
      expect(noDevice.ran).to.have.length(1);

      const noBridge = fakeProbeEnv((_node, command) =>
        command.startsWith("bridge ")
          ? { exitCode: 255, stderr: 'Cannot find bridge device "br0"\n' }
          : { stdout: ETH0 },
      );
      const bridgeError = await rejection(fdb.probe(spec(), noBridge.env, ctx));
      expect(bridgeError).to.be.instanceOf(CheckCommandError);
      expect(bridgeError.message).to.match(/\(exit 255\): bridge -j fdb show br br0\nCannot find bridge device "br0"$/);
    });

    it("a table that is not JSON is a parse error", async () => {
      const { env } = fakeProbeEnv((_node, command) => ({
        stdout: command.startsWith("bridge ") ? "aa:bb:cc:dd:ee:01 dev veth1 master br0 \n" : ETH0,
      }));
      expect(await rejection(fdb.probe(spec(), env, ctx))).to.be.instanceOf(ParseError);
    });
  });
});
