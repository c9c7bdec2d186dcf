import { expect } from "chai";
import { fixture } from "../parse/fixture-files.ts";
import { parseIpLinks } from "../parse/ip-json.ts";
import { fakeProbeEnv } from "../testing/fake-probe-env.ts";
import { judgeMac, mac } from "./mac.ts";

const links = parseIpLinks(fixture("ip-link-details.json"));
const named = (name: string) => links.find((l) => l.ifname === name)!;
const spec = mac.schema.parse({
  a: { node: "a", dev: "va0" },
  b: { node: "b", netns: "x", dev: "mv1" },
  expect: "different",
});

describe("mac", () => {
  it("compares the two addresses whatever their case, and shows both", () => {
    const va0 = named("va0");
    const upper = { ...va0, address: va0.address!.toUpperCase() };
    expect(judgeMac(spec, va0, upper)).to.deep.equal({
      subject: "MAC of a:va0 vs b/x:mv1",
      expected: "different",
      actual: "equal",
      detail: "a:va0 d2:19:98:50:b9:ab, b/x:mv1 D2:19:98:50:B9:AB",
    });
    expect(judgeMac(spec, upper, va0).actual).to.equal("equal");
    expect(judgeMac(spec, va0, named("mv1")).actual).to.equal("different");
  });

  it("a passthru macvlan has its parent's MAC (the real pair from the fixtures)", () => {
    expect(judgeMac({ ...spec, expect: "equal" }, named("va2"), named("mvp")).actual).to.equal("equal");
  });

  it("a device missing on either side, or without a MAC, is a verdict naming what is missing", () => {
    expect(judgeMac(spec, named("va0"), undefined)).to.deep.equal({
      subject: "MAC of a:va0 vs b/x:mv1",
      expected: "different",
      actual: "a device is missing",
      detail: "a:va0 d2:19:98:50:b9:ab, b/x:mv1 missing",
    });
    expect(judgeMac(spec, undefined, named("mv1")).detail).to.equal("a:va0 missing, b/x:mv1 2a:ad:aa:06:2c:06");
    const { address: _, ...noMac } = named("mv1");
    expect(judgeMac(spec, named("va0"), noMac).actual).to.equal("a device is missing");
  });

  it("reads each side without -d, in its own namespace, and judges what it read", async () => {
    expect(mac.commands(spec, { checkId: "m", deadlineMs: 0 })).to.deep.equal([
      { node: "a", command: "ip -j link show dev va0" },
      { node: "b", command: "ip netns exec x ip -j link show dev mv1" },
    ]);
    const { env, ran } = fakeProbeEnv((_node, command) => ({
      stdout: JSON.stringify([named(command.endsWith("va0") ? "va0" : "mv1")]),
    }));
    expect((await mac.probe(spec, env, { checkId: "m", deadlineMs: 0 })).actual).to.equal("different");
    expect(ran).to.deep.equal(["a: ip -j link show dev va0", "b: ip netns exec x ip -j link show dev mv1"]);
  });
});
