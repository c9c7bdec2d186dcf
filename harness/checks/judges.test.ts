import { expect } from "chai";
import { assertOutcome, assertOutcomeFails, holds } from "../expect/outcome.ts";
import { fixture, parsePingFixture } from "../parse/fixture-files.ts";
import { parseIpLinks, parseIpRoutes } from "../parse/index.ts";
import { judgeLink, link } from "./link.ts";
import { judgePing, ping as pingKind } from "./ping.ts";
import { judgeRoute, route } from "./route.ts";
import { judgeStep, step } from "./step.ts";

const ping = (spec: object) => pingKind.schema.parse(spec);
const LinkCheck = link.schema;
const RouteCheck = route.schema;
const StepCheck = step.schema;

describe("expectations on real outputs", () => {
  describe("ping", () => {
    it("holds for TTL 63 through a router, and fails a TTL 64 expectation with both TTLs in view", () => {
      const summary = parsePingFixture("ping-iputils-ttl63");
      expect(holds(judgePing(ping({ from: "a", to: "10.99.2.2", ttl: 63 }), summary, "a"))).to.equal(true);
      const wrong = judgePing(ping({ from: "a", to: "10.99.2.2", ttl: 64 }), summary, "a");
      expect([wrong.expected, wrong.actual]).to.deep.equal(["reachable, TTL 64", "reachable, TTL 63"]);
      expect(() => assertOutcome(wrong)).to.throw("a → 10.99.2.2 — expected reachable, TTL 64, saw reachable, TTL 63");
    });

    it("does not count a router's Destination Unreachable as reachability", () => {
      const summary = parsePingFixture("ping-iputils-router-net-unreachable");
      const outcome = judgePing(ping({ from: "a", to: "10.99.7.1" }), summary, "a");
      expect(outcome.actual).to.equal("unreachable");
      expect(holds(judgePing(ping({ from: "a", to: "10.99.7.1", expect: "unreachable" }), summary, "a"))).to.equal(
        true,
      );
    });

    it("judges busybox output the same way", () => {
      expect(
        holds(judgePing(ping({ from: "a", to: "10.99.2.2", ttl: 63 }), parsePingFixture("ping-busybox-ttl63"), "a")),
      ).to.equal(true);
      expect(
        judgePing(ping({ from: "a", to: "10.99.0.77" }), parsePingFixture("ping-busybox-timeout"), "a").actual,
      ).to.equal("unreachable");
    });

    it("an unreachable expectation fails when replies come back", () => {
      const outcome = judgePing(
        ping({ from: "a", to: "10.99.2.2", expect: "unreachable" }),
        parsePingFixture("ping-iputils-ttl63"),
        "a",
      );
      expect(outcome.actual).to.equal("reachable (TTL 63)");
      expect(() => assertOutcome(outcome)).to.throw();
      expect(() => assertOutcomeFails(outcome, "with the router off")).not.to.throw();
    });

    it("applies max_loss to replies from the target", () => {
      const summary = parsePingFixture("ping-iputils-partial-loss");
      const outcome = judgePing(ping({ from: "a", to: summary.target, max_loss: 0 }), summary, "a");
      expect(outcome.actual).to.match(/^reachable, loss \d+%$/);
      expect(holds(outcome)).to.equal(false);
    });

    it("does not count duplicate replies as answers: 2 of 4 answered, twice each, is 50 % loss", () => {
      for (const name of ["ping-iputils-constructed-dup", "ping-busybox-constructed-dup"]) {
        const summary = parsePingFixture(name);
        expect(judgePing(ping({ from: "a", to: "10.0.0.2", max_loss: 0 }), summary, "a").actual, name).to.equal(
          "reachable, loss 50%",
        );
        expect(holds(judgePing(ping({ from: "a", to: "10.0.0.2", max_loss: 50 }), summary, "a")), name).to.equal(true);
      }
    });

    it("counts the target's answer to a seq another host answered first", () => {
      // The captured broadcast run, with the second answer to seq 1 moved to the other responder's address.
      const summary = parsePingFixture("ping-iputils-broadcast-dup");
      const replies = summary.replies.map((r) => (r.duplicate ? { ...r, from: "10.99.0.3" } : r));
      const target = { ...summary, replies };
      const outcome = judgePing(ping({ from: "a", to: "10.99.0.3", max_loss: 50 }), target, "a");
      expect(outcome.actual).to.equal("reachable, loss ≤ 50%");
    });

    it("judges replies printed without time= (small -s) as reachable", () => {
      for (const name of ["ping-iputils-constructed-small-payload", "ping-busybox-constructed-small-payload"]) {
        const spec = ping({ from: "a", to: "10.0.0.2", ttl: 64, max_loss: 0 });
        const outcome = judgePing(spec, parsePingFixture(name), "a");
        expect(outcome.actual, name).to.equal("reachable, TTL 64, loss ≤ 0%");
      }
    });

    it("keeps a redirect and ping's warnings out of a reachable host's detail", () => {
      const cases: Array<[string, string]> = [
        ["ping-iputils-constructed-redirect", "10.0.1.2"],
        ["ping-iputils-constructed-source-warning", "10.0.0.2"],
      ];
      for (const [name, to] of cases) {
        const outcome = judgePing(ping({ from: "a", to, max_loss: 0 }), parsePingFixture(name), "a");
        expect(holds(outcome), name).to.equal(true);
        expect(outcome.detail, name).not.to.match(/Redirect|Warning/);
      }
    });
  });

  describe("links, routes and steps", () => {
    const links = parseIpLinks(fixture("ip-link-details.json"));
    const link = (name: string) => links.find((l) => l.ifname === name);

    it("reads macvlan modes and flags", () => {
      expect(
        holds(
          judgeLink(
            LinkCheck.parse({ node: "a", dev: "mv2", kind: "macvlan", mode: "private", flags: ["UP"] }),
            link("mv2"),
            "a",
          ),
        ),
      ).to.equal(true);
      const wrong = judgeLink(
        LinkCheck.parse({ node: "a", dev: "mv3", mode: "bridge", flags: ["UP"] }),
        link("mv3"),
        "a",
      );
      expect([wrong.expected, wrong.actual]).to.deep.equal(["present, UP, mode bridge", "present, no UP, mode vepa"]);
      expect(
        judgeLink(LinkCheck.parse({ node: "a", dev: "va1", flags: ["PROMISC"] }), link("va1"), "a").actual,
      ).to.equal("present, no PROMISC");
      expect(judgeLink(LinkCheck.parse({ node: "a", dev: "gone" }), undefined, "a").actual).to.equal("absent");
    });

    it("finds a route among several with the same prefix, and says what is there instead", () => {
      const routes = parseIpRoutes(fixture("ip-route.json"));
      expect(holds(judgeRoute(RouteCheck.parse({ node: "a", dst: "10.99.0.0/24", dev: "mv1" }), routes, "a"))).to.equal(
        true,
      );
      const wrongVia = judgeRoute(RouteCheck.parse({ node: "a", dst: "10.99.2.0/24", via: "10.99.1.9" }), routes, "a");
      expect([wrongVia.expected, wrongVia.actual]).to.deep.equal([
        "10.99.2.0/24 via 10.99.1.9",
        "10.99.2.0/24 via 10.99.1.1 dev va1",
      ]);
      expect(judgeRoute(RouteCheck.parse({ node: "a", dst: "172.16.0.0/24" }), routes, "a").actual).to.equal(
        "no route 172.16.0.0/24",
      );
      expect(
        holds(judgeRoute(RouteCheck.parse({ node: "a", dst: "172.16.0.0/24", expect: "absent" }), routes, "a")),
      ).to.equal(true);
    });

    it("judges a setup step the documents expect to fail", () => {
      const spec = StepCheck.parse({ id: "second", exit: "nonzero", stderr: "Invalid argument" });
      expect(
        holds(
          judgeStep(spec, { command: "ip link add …", exitCode: 2, stderr: "RTNETLINK answers: Invalid argument\n" }),
        ),
      ).to.equal(true);
      expect(judgeStep(spec, { command: "ip link add …", exitCode: 0, stderr: "" }).actual).to.equal(
        'exit zero, stderr ""',
      );
      expect(judgeStep(spec, undefined).actual).to.equal("step did not run");
    });
  });
});
