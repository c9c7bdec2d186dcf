import { expect } from "chai";
import { fixture } from "./fixture-files.ts";
import { parseIpAddrs, parseIpLinks, parseIpRoutes } from "./ip-json.ts";
import { ParseError } from "./parse-error.ts";

function thrown(attempt: () => unknown): Error {
  try {
    attempt();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

// Fixtures: `ip -j …` (iproute2 6.1) inside namespace mvx-a of fixtures/capture.sh.
describe("ip -j link show", () => {
  const links = parseIpLinks(fixture("ip-link.json"));
  const detailed = parseIpLinks(fixture("ip-link-details.json"));

  it("reads every link with name, index, flags, mtu, state and MAC", () => {
    expect(links.map((l) => `${l.ifindex}:${l.ifname}`)).to.deep.equal([
      "1:lo",
      "2:va0",
      "3:va1",
      "4:mv1",
      "5:mv2",
      "6:mv3",
      "7:va2p",
      "8:va2",
      "9:mvp",
      "10:br0",
    ]);
    expect(links[1]).to.include({ ifname: "va0", mtu: 1500, operstate: "UP", address: "d2:19:98:50:b9:ab" });
    expect(links[1]!.flags).to.deep.equal(["BROADCAST", "MULTICAST", "PROMISC", "UP", "LOWER_UP"]);
    expect(links[5]).to.include({ ifname: "mv3", operstate: "DOWN" });
    expect(links[5]!.flags).to.deep.equal(["BROADCAST", "MULTICAST"]);
  });

  it("gives the parent of macvlan children and same-namespace veth peers, and the bridge master", () => {
    expect(links.filter((l) => l.link === "va0").map((l) => l.ifname)).to.deep.equal(["mv1", "mv2", "mv3"]);
    expect(links.find((l) => l.ifname === "mvp")?.link).to.equal("va2");
    expect(links.find((l) => l.ifname === "va2p")).to.include({ link: "va2", master: "br0" });
  });

  it("has no parent name for a veth whose peer is in another namespace, only link_index", () => {
    expect(links[1]!.link).to.equal(undefined);
    expect(links[1]!.link_index).to.equal(2);
  });

  it("keeps fields it does not model (loose objects)", () => {
    expect(links[1]).to.include({ qdisc: "noqueue", link_netnsid: 0 });
  });

  it("has promiscuity and linkinfo only with -d", () => {
    expect(links[1]!.promiscuity).to.equal(undefined);
    expect(links[1]!.linkinfo).to.equal(undefined);
    expect(detailed.map((l) => l.promiscuity)).to.deep.equal([0, 2, 0, 0, 0, 0, 1, 1, 0, 0]);
  });

  it("reads the macvlan mode of each child and the kind of every link", () => {
    const kinds = detailed.map((l) => [l.ifname, l.linkinfo?.info_kind, l.linkinfo?.info_data?.mode]);
    expect(kinds).to.deep.equal([
      ["lo", undefined, undefined],
      ["va0", "veth", undefined],
      ["va1", "veth", undefined],
      ["mv1", "macvlan", "bridge"],
      ["mv2", "macvlan", "private"],
      ["mv3", "macvlan", "vepa"],
      ["va2p", "veth", undefined],
      ["va2", "veth", undefined],
      ["mvp", "macvlan", "passthru"],
      ["br0", "bridge", undefined],
    ]);
    expect(detailed[6]!.linkinfo?.info_slave_kind).to.equal("bridge");
  });

  it("shows that a passthru macvlan takes its parent's MAC", () => {
    expect(detailed[8]!.address).to.equal(detailed[7]!.address).and.to.equal("12:3f:c0:d2:ff:3f");
  });
});

describe("ip -j addr show", () => {
  const addrs = parseIpAddrs(fixture("ip-addr.json"));

  it("reads every address with family and prefix length", () => {
    const va0 = addrs.find((a) => a.ifname === "va0")!;
    expect(va0.addr_info.map((i) => [i.family, i.local, i.prefixlen])).to.deep.equal([
      ["inet", "10.99.0.1", 24],
      ["inet6", "fd99::1", 64],
      ["inet6", "fe80::d019:98ff:fe50:b9ab", 64],
    ]);
    expect(addrs.find((a) => a.ifname === "mv3")!.addr_info).to.deep.equal([]);
  });

  it("reads the -4 form, which lists only links with an IPv4 address", () => {
    expect(parseIpAddrs(fixture("ip-addr-inet4.json")).map((a) => a.ifname)).to.deep.equal([
      "lo",
      "va0",
      "va1",
      "mv1",
      "br0",
    ]);
  });

  it("skips the empty objects older iproute2 prints for filtered links", () => {
    expect(parseIpAddrs('[{}, {"ifindex":1,"ifname":"lo","addr_info":[]}, {}]').map((a) => a.ifname)).to.deep.equal([
      "lo",
    ]);
  });
});

describe("ip -j route show", () => {
  const routes = parseIpRoutes(fixture("ip-route.json"));

  it("reads default, connected, gateway, host, metric and unreachable routes", () => {
    expect(routes.map((r) => [r.dst, r.dev, r.gateway, r.protocol, r.scope, r.prefsrc])).to.deep.equal([
      ["default", "va1", "10.99.1.1", undefined, undefined, undefined],
      ["10.99.0.0/24", "va0", undefined, "kernel", "link", "10.99.0.1"],
      ["10.99.0.0/24", "mv1", undefined, "kernel", "link", "10.99.0.11"],
      ["10.99.1.0/24", "va1", undefined, "kernel", "link", "10.99.1.2"],
      ["10.99.2.0/24", "va1", "10.99.1.1", undefined, undefined, undefined],
      ["10.99.3.7", "va0", "10.99.0.2", undefined, undefined, undefined],
      ["10.99.4.0/24", "va1", "10.99.1.1", "static", undefined, undefined],
      ["10.99.5.0/24", "br0", undefined, "kernel", "link", "10.99.5.1"],
      ["10.99.9.0/24", undefined, undefined, undefined, undefined, undefined],
    ]);
    expect(routes[6]!.metric).to.equal(100);
    expect(routes[8]!.type).to.equal("unreachable");
    expect(routes.every((r) => Array.isArray(r.flags) && r.flags.length === 0)).to.equal(true);
  });

  it("defaults a missing flags list to []", () => {
    expect(parseIpRoutes('[{"dst":"default","gateway":"10.0.0.1","dev":"eth0"}]')[0]!.flags).to.deep.equal([]);
  });
});

describe("ip -j parsers on bad input", () => {
  it("names the command when the text is not JSON", () => {
    expect(() => parseIpLinks('Device "eth9" does not exist.')).to.throw(
      ParseError,
      /^cannot parse ip -j link show output: not JSON/,
    );
    expect(() => parseIpRoutes("")).to.throw(ParseError, /ip -j route show.*not JSON/);
  });

  it("names the command and the offending path when the shape is wrong", () => {
    expect(() => parseIpLinks('[{"ifindex":1,"ifname":"lo","flags":[],"mtu":"big","operstate":"UP"}]')).to.throw(
      ParseError,
      /ip -j link show output: unexpected JSON shape: \[0\]\.mtu: .*expected number/,
    );
    expect(() => parseIpAddrs('{"ifname":"lo"}')).to.throw(
      ParseError,
      /ip -j addr show.*\(top level\): .*expected array/,
    );
    expect(() => parseIpRoutes('[{"dev":"eth0"}]')).to.throw(ParseError, /\[0\]\.dst/);
  });

  it("refuses route output fed to the link parser", () => {
    expect(() => parseIpLinks(fixture("ip-route.json"))).to.throw(ParseError, /\[0\]\.ifindex/);
  });

  it("checks the nested objects too: linkinfo, its info_data, each addr_info", () => {
    const link = (extra: string) => `[{"ifindex":1,"ifname":"mv1","flags":[],"mtu":1500,"operstate":"UP",${extra}}]`;
    expect(() => parseIpLinks(link('"linkinfo":{"info_kind":7}'))).to.throw(ParseError, /\[0\]\.linkinfo\.info_kind: /);
    expect(() => parseIpLinks(link('"linkinfo":{"info_data":{"mode":1}}'))).to.throw(
      ParseError,
      /\[0\]\.linkinfo\.info_data\.mode: /,
    );
    expect(() => parseIpAddrs('[{"ifindex":"2","ifname":"va0","addr_info":[]}]')).to.throw(
      ParseError,
      /\[0\]\.ifindex: /,
    );
    expect(() =>
      parseIpAddrs('[{"ifindex":2,"ifname":"va0","addr_info":[{"family":"inet","prefixlen":24}]}]'),
    ).to.throw(ParseError, /\[0\]\.addr_info\[0\]\.local: /);
  });

  it("drops only empty objects: null, arrays, strings and numbers in the list are refused", () => {
    for (const entry of ["null", "[]", '""', "0"]) {
      expect(() => parseIpLinks(`[${entry}]`), entry).to.throw(ParseError, /unexpected JSON shape: \[0\]: /);
    }
  });

  it("lists the first five problems, separated by semicolons", () => {
    const links = Array.from(
      { length: 7 },
      (_, i) => `{"ifindex":${i},"ifname":"l${i}","flags":[],"mtu":"x","operstate":"UP"}`,
    );
    const [problem] = thrown(() => parseIpLinks(`[${links.join(",")}]`)).message.split("\n");
    const issues = problem!.replace(/^.*unexpected JSON shape: /, "").split("; ");
    expect(issues.map((issue) => issue.split(":")[0])).to.deep.equal([
      "[0].mtu",
      "[1].mtu",
      "[2].mtu",
      "[3].mtu",
      "[4].mtu",
    ]);
  });

  it("keeps what went wrong as the error's cause", () => {
    expect(thrown(() => parseIpRoutes("{")).cause).to.be.instanceOf(SyntaxError);
    expect(thrown(() => parseIpRoutes('[{"dev":"eth0"}]')).cause)
      .to.have.property("issues")
      .that.has.length(1);
  });
});
