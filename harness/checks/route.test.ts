import { expect } from "chai";
import { fixture } from "../parse/fixture-files.ts";
import { parseIpRoutes } from "../parse/ip-json.ts";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import { judgeRoute, route } from "./route.ts";

const table = fixture("ip-route.json");
const routes = parseIpRoutes(table);
const spec = (input: object) => route.schema.parse({ node: "a", ...input });

describe("route", () => {
  it("a match: the wanted route, in the same words on both sides, with the whole table as detail", () => {
    expect(judgeRoute(spec({ dst: "10.99.0.0/24", dev: "mv1" }), routes, "a/ns1")).to.deep.equal({
      subject: "a/ns1: route 10.99.0.0/24",
      expected: "10.99.0.0/24 dev mv1",
      actual: "10.99.0.0/24 dev mv1",
      detail:
        "default via 10.99.1.1 dev va1; 10.99.0.0/24 dev va0; 10.99.0.0/24 dev mv1; 10.99.1.0/24 dev va1; " +
        "10.99.2.0/24 via 10.99.1.1 dev va1; 10.99.3.7 via 10.99.0.2 dev va0; 10.99.4.0/24 via 10.99.1.1 dev va1; " +
        "10.99.5.0/24 dev br0; 10.99.9.0/24",
    });
  });

  it("the same prefix on another device is not a match: says the first one there", () => {
    const outcome = judgeRoute(spec({ dst: "10.99.0.0/24", dev: "br0" }), routes, "a");
    expect([outcome.expected, outcome.actual]).to.deep.equal(["10.99.0.0/24 dev br0", "10.99.0.0/24 dev va0"]);
  });

  it("an empty table says so", () => {
    expect(judgeRoute(spec({ dst: "default" }), [], "a")).to.deep.equal({
      subject: "a: route default",
      expected: "default",
      actual: "no route default",
      detail: "empty route table",
    });
  });

  it("expects a route present unless told absent", () => {
    expect(spec({ dst: "default" }).expect).to.equal("present");
    expect(spec({ dst: "default", expect: "present" }).expect).to.equal("present");
  });

  describe("commands and probe", () => {
    it("reads the main table in the namespace it names, and judges it", async () => {
      const check = spec({ netns: "ns1", dst: "10.99.3.7/32", via: "10.99.0.2" });
      expect(route.commands(check, { checkId: "r", deadlineMs: 0 })).to.deep.equal([
        { node: "a", command: "ip netns exec ns1 ip -j route show" },
      ]);
      const { env } = fakeProbeEnv({ stdout: table });
      const outcome = await route.probe(check, env, { checkId: "r", deadlineMs: 0 });
      expect([outcome.subject, outcome.actual]).to.deep.equal([
        "a/ns1: route 10.99.3.7/32",
        "10.99.3.7/32 via 10.99.0.2",
      ]);
    });

    it("a read that timed out is the check's own failure, and says so", async () => {
      const { env } = fakeProbeEnv({ exitCode: undefined, timedOut: true, failed: true, stderr: "  " });
      const error = await rejection(route.probe(spec({ dst: "default" }), env, { checkId: "r", deadlineMs: 0 }));
      expect(error.message).to.equal("check r: read-only command failed on a (timed out): ip -j route show\n");
    });
  });
});
