import { expect } from "chai";
import { fixture } from "./fixture-files.ts";
import { parseIpAddrs, parseIpLinks, parseIpRoutes } from "./ip-json.ts";
import { findLink, hasFlag, ipv4Addresses, routeMatches } from "./ip-query.ts";

describe("ip -j query helpers", () => {
  const links = parseIpLinks(fixture("ip-link-details.json"));
  const addrs = parseIpAddrs(fixture("ip-addr.json"));
  const routes = parseIpRoutes(fixture("ip-route.json"));

  it("findLink finds by name and returns undefined for a missing link", () => {
    expect(findLink(links, "mv2")?.linkinfo?.info_data?.mode).to.equal("private");
    expect(findLink(links, "eth0")).to.equal(undefined);
  });

  it("hasFlag reads the <…> flags: PROMISC only where set by hand, even if promiscuity > 0", () => {
    expect(hasFlag(findLink(links, "va0")!, "PROMISC")).to.equal(true);
    // va2 is promiscuous because of its passthru macvlan, which ip does not show as a flag.
    expect(hasFlag(findLink(links, "va2")!, "PROMISC")).to.equal(false);
    expect(findLink(links, "va2")!.promiscuity).to.equal(1);
    expect(hasFlag(findLink(links, "mv3")!, "UP")).to.equal(false);
    expect(hasFlag(findLink(links, "mv1")!, "LOWER_UP")).to.equal(true);
  });

  it("ipv4Addresses lists CIDRs of one interface and ignores IPv6", () => {
    expect(ipv4Addresses(addrs, "va0")).to.deep.equal(["10.99.0.1/24"]);
    expect(ipv4Addresses(addrs, "mv1")).to.deep.equal(["10.99.0.11/24"]);
    expect(ipv4Addresses(addrs, "mv2")).to.deep.equal([]);
    expect(ipv4Addresses(addrs, "nosuch")).to.deep.equal([]);
  });

  it("routeMatches compares dst exactly, and dev/via when given", () => {
    const found = (q: Parameters<typeof routeMatches>[1]) => routes.filter((r) => routeMatches(r, q)).length;
    expect(found({ dst: "10.99.2.0/24", via: "10.99.1.1" })).to.equal(1);
    expect(found({ dst: "10.99.2.0/24", via: "10.99.0.2" })).to.equal(0);
    expect(found({ dst: "10.99.2.0/25" })).to.equal(0);
    expect(found({ dst: "10.99.2.0" })).to.equal(0);
    expect(found({ dst: "10.99.0.0/24" })).to.equal(2);
    expect(found({ dst: "10.99.0.0/24", dev: "mv1" })).to.equal(1);
    expect(found({ dst: "10.99.0.0/24", dev: "mv1", via: "10.99.1.1" })).to.equal(0);
    expect(found({ dst: "default", dev: "va1", via: "10.99.1.1" })).to.equal(1);
  });

  it("routeMatches accepts the other spelling of default and host routes", () => {
    expect(routes.some((r) => routeMatches(r, { dst: "0.0.0.0/0" }))).to.equal(true);
    expect(routes.some((r) => routeMatches(r, { dst: "10.99.3.7/32", via: "10.99.0.2" }))).to.equal(true);
    expect(routes.some((r) => routeMatches(r, { dst: "10.99.3.7/31" }))).to.equal(false);
  });
});
