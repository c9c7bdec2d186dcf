import { expect } from "chai";
import { CheckCommandError } from "../model/errors.ts";
import { fixture } from "../parse/fixture-files.ts";
import { type CapturedFrame, parseTcpdumpE } from "../parse/tcpdump.ts";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import { capture, judgeCapture } from "./capture.ts";

const spec = (vlan: number | null, to = "172.16.20.11") =>
  capture.schema.parse({ node: "n1", dev: "enp0s3", traffic: { from: "n2", netns: "box1", to }, vlan });

const echo = (to: string, vlans: number[]): CapturedFrame => ({
  time: "11:58:18.356702",
  src: "08:00:27:00:01:03",
  dst: "f6:bb:0e:b7:aa:9a",
  vlans,
  payload: `172.16.20.1 > ${to}: ICMP echo request, id 1064, seq 1, length 64`,
});

describe("capture", () => {
  describe("judgeCapture", () => {
    it("names the capture, the sender and the target, and counts what it judged", () => {
      const frames = parseTcpdumpE(fixture("tcpdump-e-vlan.txt"));
      expect(judgeCapture(spec(200), frames, "n1/enp0s3")).to.deep.equal({
        subject: "n1/enp0s3: frames of n2/box1 → 172.16.20.11",
        expected: "ICMP to 172.16.20.11 tagged vlan 200",
        actual: "ICMP to 172.16.20.11 tagged vlan 200",
        detail: "15 frames captured, 3 of them echo requests to 172.16.20.11",
      });
    });

    it("untagged frames, expected untagged: holds", () => {
      const frames = parseTcpdumpE(fixture("tcpdump-e-untagged.txt"));
      const outcome = judgeCapture(spec(null, "10.98.0.2"), frames, "n1/veth0");
      expect([outcome.expected, outcome.actual]).to.deep.equal([
        "ICMP to 10.98.0.2 untagged",
        "ICMP to 10.98.0.2 untagged",
      ]);
    });

    it("says every tagging it saw, stacked tags outermost first", () => {
      const frames = [echo("172.16.20.11", [200]), echo("172.16.20.11", []), echo("172.16.20.11", [10, 200])];
      expect(judgeCapture(spec(200), frames, "n1/enp0s3").actual).to.equal(
        "ICMP to 172.16.20.11 tagged vlan 200 and untagged and tagged vlan 10/200",
      );
    });

    it("ignores echo requests to other hosts", () => {
      const outcome = judgeCapture(spec(200), [echo("172.16.20.12", [200])], "n1/enp0s3");
      expect([outcome.actual, outcome.detail]).to.deep.equal([
        "no ICMP to 172.16.20.11 captured",
        "1 frames captured, 0 of them echo requests to 172.16.20.11",
      ]);
    });
  });

  describe("commands and probe", () => {
    it("plans the same four commands the probe runs", async () => {
      const planned = capture.commands(spec(100), { checkId: "tag", deadlineMs: 0 });
      const { env, ran } = fakeProbeEnv({ exitCode: 124 });
      await capture.probe(spec(100), env, { checkId: "tag", deadlineMs: 0 });
      expect(planned.map((c) => `${c.node}: ${c.command}`)).to.deep.equal(ran);
    });

    it("waits for tcpdump to start, gives it more time than its own timeout, and labels the clean-up", async () => {
      const { env, options, slept } = fakeProbeEnv({ exitCode: 124 });
      await capture.probe(spec(100), env, { checkId: "tag", deadlineMs: 0 });
      expect(slept).to.have.length(1);
      expect(slept[0]).to.be.greaterThan(0);
      // The capture runs `timeout 3`: the transport must not cut it first.
      expect(options[0]?.timeoutMs).to.be.greaterThan(3000);
      expect(options[3]?.label).to.equal("read and remove /run/macvlab-tag.pcap");
    });

    it("attaches the pcap decoded from base64, and tcpdump's text, and judges that text", async () => {
      const text = fixture("tcpdump-e-vlan.txt");
      const { env, attached } = fakeProbeEnv((_node, command) => {
        if (command.startsWith("timeout ")) return { exitCode: 124 };
        if (command.startsWith("base64 ")) return { stdout: "1MOyoQ==" };
        return command.startsWith("tcpdump -e -nn -r ") ? { stdout: text } : {};
      });
      const outcome = await capture.probe(spec(200), env, { checkId: "tag", deadlineMs: 0 });
      expect(outcome.actual).to.equal("ICMP to 172.16.20.11 tagged vlan 200");
      expect(attached).to.deep.equal([
        {
          name: "capture n1/enp0s3.pcap",
          content: Buffer.from([0xd4, 0xc3, 0xb2, 0xa1]),
          contentType: "application/vnd.tcpdump.pcap",
        },
        { name: "capture n1/enp0s3 (tcpdump -e -nn)", content: text, contentType: "text/plain" },
      ]);
    });

    it("accepts tcpdump ending by itself after 50 frames (exit 0), and calls any other exit the check's own failure", async () => {
      const full = fakeProbeEnv({ exitCode: 0 });
      expect((await capture.probe(spec(100), full.env, { checkId: "tag", deadlineMs: 0 })).actual).to.equal(
        "no ICMP to 172.16.20.11 captured",
      );
      const broken = fakeProbeEnv((_node, command) =>
        command.startsWith("timeout ")
          ? { exitCode: 1, stderr: "tcpdump: enp0s3: No such device exists\n" }
          : { exitCode: 0 },
      );
      const error = await rejection(capture.probe(spec(100), broken.env, { checkId: "tag", deadlineMs: 0 }));
      expect(error).to.be.instanceOf(CheckCommandError);
      expect(error.message).to.equal("capture on n1/enp0s3 failed (exit 1): tcpdump: enp0s3: No such device exists");
      expect(broken.ran).to.have.length(2);
    });
  });
});
