import { expect } from "chai";
import { fixture } from "./fixture-files.ts";
import { ParseError } from "./parse-error.ts";
import { parseRouteN, prefixLength } from "./route-n.ts";

const HEADER = "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface";

describe("route -n", () => {
  it("reads every row of a host with default, gateway, host, metric and reject routes", () => {
    const rows = parseRouteN(fixture("route-n.txt"));
    expect(rows.map((r) => [r.destination, r.gateway, r.genmask, r.flags, r.metric, r.iface])).to.deep.equal([
      ["0.0.0.0", "10.99.1.1", "0.0.0.0", "UG", 0, "va1"],
      ["10.99.0.0", "0.0.0.0", "255.255.255.0", "U", 0, "va0"],
      ["10.99.0.0", "0.0.0.0", "255.255.255.0", "U", 0, "mv1"],
      ["10.99.1.0", "0.0.0.0", "255.255.255.0", "U", 0, "va1"],
      ["10.99.2.0", "10.99.1.1", "255.255.255.0", "UG", 0, "va1"],
      ["10.99.3.7", "10.99.0.2", "255.255.255.255", "UGH", 0, "va0"],
      ["10.99.4.0", "10.99.1.1", "255.255.255.0", "UG", 100, "va1"],
      ["10.99.5.0", "0.0.0.0", "255.255.255.0", "U", 0, "br0"],
      ["10.99.9.0", "-", "255.255.255.0", "!", 0, "-"],
    ]);
  });

  it("reads a router's connected-only table", () => {
    expect(
      parseRouteN(fixture("route-n-router.txt")).map((r) => `${r.destination}/${prefixLength(r.genmask)} ${r.iface}`),
    ).to.deep.equal(["10.99.1.0/24 ra", "10.99.2.0/24 rc"]);
  });

  it("reads an empty table", () => {
    expect(
      parseRouteN(
        "Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n",
      ),
    ).to.deep.equal([]);
  });

  it("refuses text without the route -n header, or rows of another width", () => {
    expect(() => parseRouteN("default via 10.0.0.1 dev eth0\n")).to.throw(
      ParseError,
      /route -n output: no "Destination Gateway/,
    );
    const extended =
      "Kernel IP routing table\nDestination Gateway Genmask Flags Metric Ref Use Iface\n0.0.0.0 10.0.0.1 0.0.0.0 UG 0 0 0 eth0 1500 0 0\n";
    expect(() => parseRouteN(extended)).to.throw(ParseError, /^cannot parse route -n output: row does not have the 8/);
  });

  it("refuses a row whose metric is not a plain count", () => {
    for (const metric of ["-1", "1e3", "x"]) {
      const text = `${HEADER}\n0.0.0.0 10.0.0.1 0.0.0.0 UG ${metric} 0 0 eth0\n`;
      expect(() => parseRouteN(text), metric).to.throw(ParseError, /8 expected columns/);
    }
  });

  it("finds the header on the first line too, and ignores indentation and trailing blanks", () => {
    const text = `  ${HEADER}  \n\t0.0.0.0   10.0.0.1  0.0.0.0  UG 0 0 0 eth0   \n`;
    expect(parseRouteN(text)).to.deep.equal([
      { destination: "0.0.0.0", gateway: "10.0.0.1", genmask: "0.0.0.0", flags: "UG", metric: 0, iface: "eth0" },
    ]);
  });
});

describe("prefixLength", () => {
  it("converts dotted netmasks", () => {
    expect(
      ["0.0.0.0", "255.0.0.0", "255.255.255.0", "255.255.255.128", "255.255.255.255"].map(prefixLength),
    ).to.deep.equal([0, 8, 24, 25, 32]);
  });

  it("refuses non-contiguous and malformed masks", () => {
    expect(() => prefixLength("255.0.255.0")).to.throw(
      ParseError,
      /^cannot parse route -n output: netmask is not contiguous/,
    );
    expect(() => prefixLength("255.255.127.0")).to.throw(ParseError, /not contiguous/);
    expect(() => prefixLength("255.255.256.0")).to.throw(
      ParseError,
      /^cannot parse route -n output: not a dotted IPv4 netmask/,
    );
    expect(() => prefixLength("24")).to.throw(ParseError, /not a dotted IPv4 netmask/);
    expect(() => prefixLength("255.255.255.0.0")).to.throw(ParseError, /not a dotted IPv4 netmask/);
  });
});
