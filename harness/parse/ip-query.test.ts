import { expect } from "chai";
import { sameDestination } from "./ip-query.ts";

describe("route destinations compared by meaning", () => {
  it("default is 0.0.0.0/0 (and ::/0), either way round", () => {
    expect(sameDestination("default", "0.0.0.0/0")).to.equal(true);
    expect(sameDestination("0.0.0.0/0", "default")).to.equal(true);
    expect(sameDestination("default", "::/0")).to.equal(true);
    expect(sameDestination("default", "0.0.0.0/1")).to.equal(false);
  });

  it("a host is its /32 (and /128 in IPv6), but not a wider prefix", () => {
    expect(sameDestination("172.16.5.2", "172.16.5.2/32")).to.equal(true);
    expect(sameDestination("172.16.5.2/32", "172.16.5.2")).to.equal(true);
    expect(sameDestination("fd00::2", "fd00::2/128")).to.equal(true);
    expect(sameDestination("172.16.5.2", "172.16.5.2/31")).to.equal(false);
    expect(sameDestination("172.16.5.2", "172.16.5.3/32")).to.equal(false);
  });

  it("prefixes compare exactly: no containment", () => {
    expect(sameDestination("172.16.10.0/24", "172.16.10.0/24")).to.equal(true);
    expect(sameDestination("172.16.10.0/24", "172.16.10.0/25")).to.equal(false);
    expect(sameDestination("10.99.2.0/24", "10.99.2.0")).to.equal(false);
  });
});
