import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { holds } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import { PROJECT_ROOT } from "../model/paths.ts";
import { fixture } from "../parse/fixture-files.ts";
import { parseIpLinks, parseIpRoutes } from "../parse/ip-json.ts";
import { parseTcpdumpE } from "../parse/tcpdump.ts";
import { fakeProbeEnv as fakeEnv, rejection } from "../testing/fake-probe-env.ts";
import { capture, judgeCapture } from "./capture.ts";
import { link } from "./link.ts";
import { judgeMac, mac } from "./mac.ts";
import { CHECK_KIND_NAMES, CHECK_KINDS, kindOf } from "./registry.ts";
import { judgeRoute, route } from "./route.ts";
import { step } from "./step.ts";
import { judgeSysctl, sysctl } from "./sysctl.ts";

describe("check kinds", () => {
  describe("route", () => {
    const routes = parseIpRoutes(fixture("ip-route.json"));
    const judge = (spec: object) => judgeRoute(route.schema.parse({ node: "a", ...spec }), routes, "a");

    it("matches a host route written as /32 (as `ip route add 172.16.5.2/32` writes it) against ip's bare address", () => {
      expect(holds(judge({ dst: "10.99.3.7/32", via: "10.99.0.2", dev: "va0" }))).to.equal(true);
      expect(holds(judge({ dst: "10.99.3.7", dev: "va0" }))).to.equal(true);
      expect(holds(judge({ dst: "10.99.3.7/31" }))).to.equal(false);
    });

    it("matches default written as 0.0.0.0/0, and an absent check fails when the route is there", () => {
      expect(holds(judge({ dst: "0.0.0.0/0", via: "10.99.1.1" }))).to.equal(true);
      const absent = judge({ dst: "0.0.0.0/0", expect: "absent" });
      expect([absent.expected, absent.actual]).to.deep.equal(["no route 0.0.0.0/0", "0.0.0.0/0 via 10.99.1.1 dev va1"]);
    });

    it("reads the table in the namespace it names, and calls a failed read the check's own failure", async () => {
      const { env, ran } = fakeEnv({ exitCode: 1, stderr: 'Cannot open network namespace "box1"' });
      const spec = route.schema.parse({ node: "n2", netns: "box1", dst: "default" });
      const probing = route.probe(spec, env, { checkId: "r", deadlineMs: 100 });
      const error = await rejection(probing);
      expect(error).to.be.instanceOf(CheckCommandError);
      expect(error.message).to.match(/check r: read-only command failed on n2 \(exit 1\)/);
      expect(ran).to.deep.equal(["n2: ip netns exec box1 ip -j route show"]);
    });
  });

  describe("mac", () => {
    const links = parseIpLinks(fixture("ip-link-details.json"));
    const spec = mac.schema.parse({
      a: { node: "a", dev: "mv1" },
      b: { node: "b", netns: "x", dev: "mv2" },
      expect: "different",
    });

    it("compares addresses case-insensitively and names both sides", () => {
      const [one] = links;
      const outcome = judgeMac(spec, one, one && { ...one, address: one.address?.toUpperCase() });
      expect(outcome.actual).to.equal("equal");
      expect(outcome.subject).to.equal("MAC of a:mv1 vs b/x:mv2");
      expect(holds(judgeMac(spec, links[0], links[1]))).to.equal(links[0]?.address !== links[1]?.address);
    });

    it("a missing device is a verdict, not an error", async () => {
      expect(judgeMac(spec, undefined, links[0]).actual).to.equal("a device is missing");
      const { env, ran } = fakeEnv({ exitCode: 1, stderr: 'Device "mv1" does not exist.' });
      expect((await mac.probe(spec, env, { checkId: "m", deadlineMs: 100 })).actual).to.equal("a device is missing");
      expect(ran).to.deep.equal(["a: ip -j link show dev mv1", "b: ip netns exec x ip -j link show dev mv2"]);
    });
  });

  describe("sysctl", () => {
    it("trims what /proc/sys holds and compares key = value", () => {
      const spec = sysctl.schema.parse({ node: "r", key: "net.ipv4.ip_forward", value: "1" });
      expect(holds(judgeSysctl(spec, "1\n", "r"))).to.equal(true);
      expect(judgeSysctl(spec, "0\n", "r").actual).to.equal("net.ipv4.ip_forward = 0");
      expect(sysctl.commands(spec, { checkId: "s", deadlineMs: 0 })).to.deep.equal([
        { node: "r", command: "cat /proc/sys/net/ipv4/ip_forward" },
      ]);
    });
  });

  describe("link", () => {
    it("a device that does not exist is 'absent'; any other failure is the check's own", async () => {
      const spec = link.schema.parse({ node: "a", dev: "mv9" });
      const missing = fakeEnv({ exitCode: 1, stderr: 'Device "mv9" does not exist.' });
      expect((await link.probe(spec, missing.env, { checkId: "l", deadlineMs: 0 })).actual).to.equal("absent");
      const broken = fakeEnv({ exitCode: 255, stderr: "ip: command not found" });
      const error = await rejection(link.probe(spec, broken.env, { checkId: "l", deadlineMs: 0 }));
      expect(error).to.be.instanceOf(CheckCommandError);
    });
  });

  describe("step", () => {
    it("reads the recorded setup step and runs nothing", async () => {
      const spec = step.schema.parse({ id: "second-passthru", stderr: "Invalid argument" });
      const result = {
        node: "a",
        command: "ip link add …",
        stdout: "",
        stderr: "RTNETLINK answers: Invalid argument",
        exitCode: 2,
        durationMs: 1,
        timedOut: false,
        failed: true,
      };
      const { env, ran } = fakeEnv({}, { "second-passthru": result });
      expect(holds(await step.probe(spec, env, { checkId: "s", deadlineMs: 0 }))).to.equal(true);
      expect(ran).to.deep.equal([]);
      expect(step.graded).to.equal(false);
    });
  });

  describe("capture", () => {
    const frames = parseTcpdumpE(fixture("tcpdump-e-vlan.txt"));
    const spec = (vlan: number | null) =>
      capture.schema.parse({
        node: "n1",
        dev: "enp0s3",
        traffic: { from: "n2", netns: "box1", to: "172.16.20.11" },
        vlan,
      });

    it("judges only the check's own echo requests, with the tags they carried", () => {
      expect(holds(judgeCapture(spec(200), frames, "n1/enp0s3"))).to.equal(true);
      expect(judgeCapture(spec(null), frames, "n1/enp0s3").actual).to.equal("frames to 172.16.20.11 tagged vlan 200");
      expect(judgeCapture(spec(200), [], "n1/enp0s3").actual).to.equal("no frame to 172.16.20.11 captured");
    });

    it("captures while the traffic runs, attaches the pcap and its text, and removes the file", async () => {
      let looks = 0;
      const { env, ran, attached } = fakeEnv((_node: string, command: string) =>
        // tcpdump's packet socket shows up at the second look, after the baseline.
        command === "cat /proc/net/packet"
          ? { stdout: `header\n${looks++ === 0 ? "" : "ffff9c4a 3 3 0003 2 1 0 0 41257\n"}` }
          : { exitCode: 124 },
      );
      await capture.probe(spec(100), env, { checkId: "tag", deadlineMs: 0 });
      expect(ran).to.deep.equal([
        "n1: cat /proc/net/packet",
        "n1: echo $$ > /run/macvlab-tag.pid && exec timeout 60 tcpdump -e -nn -U --immediate-mode -i enp0s3 -c 50 -w /run/macvlab-tag.pcap",
        "n1: cat /proc/net/packet",
        "n2: ip netns exec box1 env LC_ALL=C ping -n -c 3 -i 0.2 -W 1 172.16.20.11",
        "n1: tcpdump -e -nn -r /run/macvlab-tag.pcap",
        "n1: base64 -w0 /run/macvlab-tag.pcap && rm -f /run/macvlab-tag.pcap /run/macvlab-tag.pid",
      ]);
      expect(attached.map((a) => a.name)).to.deep.equal([
        "capture n1/enp0s3.pcap",
        "capture n1/enp0s3 (tcpdump -e -nn)",
      ]);
    });
  });

  describe("the registry", () => {
    it("every kind parses its own example, and its commands are among its own inspectors", () => {
      for (const kind of CHECK_KIND_NAMES) {
        const bound = kindOf({ id: "c", [kind]: CHECK_KINDS[kind].schema.parse(CHECK_KINDS[kind].example) });
        expect(bound.kind).to.equal(kind);
        for (const { command } of bound.commands({ checkId: "c", deadlineMs: 1000 }))
          expect(
            bound.readOnly.some((re) => re.test(command)),
            `${kind}: ${command}`,
          ).to.equal(true);
      }
    });

    it("the README's scenario guide names every kind", () => {
      const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
      const guide = readme.slice(readme.indexOf("### Writing a scenario"), readme.indexOf("### Writing a check kind"));
      expect(CHECK_KIND_NAMES.filter((kind) => !guide.includes(`\`${kind}\``))).to.deep.equal([]);
    });

    it("a check with no kind is a programming error, named", () => {
      expect(() => kindOf({ id: "lonely" })).to.throw(TypeError, /check lonely has none of ping, route/);
    });
  });
});
