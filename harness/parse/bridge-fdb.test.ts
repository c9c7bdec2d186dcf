import { expect } from "chai";
import { parseBridgeFdb } from "./bridge-fdb.ts";
import { ParseError } from "./parse-error.ts";

// `bridge -j fdb show br br0` on a bridge with ports veth1 and veth2 (VLAN filtering off, then on):
// the bridge's own and multicast entries are permanent, learnt ones have state "" (or "stale").
const BR0 = JSON.stringify([
  { mac: "33:33:00:00:00:01", ifname: "br0", flags: ["self"], state: "permanent" },
  { mac: "01:00:5e:00:00:01", ifname: "br0", flags: ["self"], state: "permanent" },
  { mac: "aa:bb:cc:dd:ee:01", ifname: "veth1", master: "br0", flags: [], state: "" },
  { mac: "7e:21:5a:3c:9d:10", ifname: "veth1", vlan: 1, master: "br0", flags: [], state: "permanent" },
  { mac: "7e:21:5a:3c:9d:10", ifname: "veth1", master: "br0", flags: [], state: "permanent" },
  { mac: "aa:bb:cc:dd:ee:02", ifname: "veth2", vlan: 10, master: "br0", flags: [], state: "stale" },
  { mac: "33:33:00:00:00:01", ifname: "veth1", flags: ["self"], state: "permanent" },
]);

describe("bridge -j fdb show", () => {
  it("reads every entry with its MAC, port and state", () => {
    expect(parseBridgeFdb(BR0).map((e) => `${e.mac} ${e.ifname} ${JSON.stringify(e.state)}`)).to.deep.equal([
      '33:33:00:00:00:01 br0 "permanent"',
      '01:00:5e:00:00:01 br0 "permanent"',
      'aa:bb:cc:dd:ee:01 veth1 ""',
      '7e:21:5a:3c:9d:10 veth1 "permanent"',
      '7e:21:5a:3c:9d:10 veth1 "permanent"',
      'aa:bb:cc:dd:ee:02 veth2 "stale"',
      '33:33:00:00:00:01 veth1 "permanent"',
    ]);
  });

  it("keeps the fields it does not name (vlan, master, flags) as iproute2 printed them", () => {
    expect(parseBridgeFdb(BR0)[5]).to.deep.equal({
      mac: "aa:bb:cc:dd:ee:02",
      ifname: "veth2",
      vlan: 10,
      master: "br0",
      flags: [],
      state: "stale",
    });
  });

  it("takes entries without a port or a state, and an empty table", () => {
    expect(parseBridgeFdb('[{"mac":"aa:bb:cc:dd:ee:01","flags":[]}]')).to.deep.equal([
      { mac: "aa:bb:cc:dd:ee:01", flags: [] },
    ]);
    expect(parseBridgeFdb("[]\n")).to.deep.equal([]);
  });

  it("refuses text that is not JSON: the plain listing, an empty or a cut-off answer", () => {
    const plain = "33:33:00:00:00:01 dev br0 self permanent\naa:bb:cc:dd:ee:01 dev veth1 master br0 \n";
    for (const text of [plain, "", BR0.slice(0, 60)])
      expect(() => parseBridgeFdb(text), JSON.stringify(text)).to.throw(
        ParseError,
        /^cannot parse bridge -j fdb show output: not JSON \(/,
      );
  });

  it("refuses JSON of another shape, and shows what it got", () => {
    for (const text of [
      '{"mac":"aa:bb:cc:dd:ee:01"}',
      '[{"ifname":"veth1","state":""}]',
      '[{"mac":170,"ifname":"veth1"}]',
      '[{"mac":"aa:bb:cc:dd:ee:01","state":null}]',
      '[{"mac":"aa:bb:cc:dd:ee:01","ifname":4}]',
    ])
      expect(() => parseBridgeFdb(text), text).to.throw(
        ParseError,
        /^cannot parse bridge -j fdb show output: unexpected JSON shape: .*\n {2}got: /,
      );
  });

  it("is an infrastructure error, not a verdict on the network", () => {
    try {
      parseBridgeFdb('Cannot find device "br9"\n');
      expect.fail("parsed");
    } catch (error) {
      expect(error).to.be.instanceOf(ParseError);
      expect((error as ParseError).kind).to.equal("infrastructure");
      expect((error as ParseError).command).to.equal("bridge -j fdb show");
    }
  });
});
