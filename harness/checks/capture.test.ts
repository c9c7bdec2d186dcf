import { expect } from "chai";
import { CheckCommandError } from "../model/errors.ts";
import { fixture } from "../parse/fixture-files.ts";
import { type CapturedFrame, parseTcpdumpE } from "../parse/tcpdump.ts";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import { capture, capturingSockets, judgeCapture } from "./capture.ts";

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
        expected: "frames to 172.16.20.11 tagged vlan 200",
        actual: "frames to 172.16.20.11 tagged vlan 200",
        detail: "15 frames captured: 3 echo requests to 172.16.20.11, 0 ARP requests for it",
      });
    });

    it("untagged frames, expected untagged: holds", () => {
      const frames = parseTcpdumpE(fixture("tcpdump-e-untagged.txt"));
      const outcome = judgeCapture(spec(null, "10.98.0.2"), frames, "n1/veth0");
      expect([outcome.expected, outcome.actual]).to.deep.equal([
        "frames to 10.98.0.2 untagged",
        "frames to 10.98.0.2 untagged",
      ]);
    });

    it("says every tagging it saw, stacked tags outermost first", () => {
      const frames = [echo("172.16.20.11", [200]), echo("172.16.20.11", []), echo("172.16.20.11", [10, 200])];
      expect(judgeCapture(spec(200), frames, "n1/enp0s3").actual).to.equal(
        "frames to 172.16.20.11 tagged vlan 200 and untagged and tagged vlan 10/200",
      );
    });

    it("counts the ARP requests of a ping whose target stopped answering: they carry the tag too", () => {
      const arp = (who: string, vlans: number[]): CapturedFrame => ({
        time: "11:58:19.000001",
        src: "08:00:27:00:01:03",
        dst: "ff:ff:ff:ff:ff:ff",
        vlans,
        payload: `ethertype ARP (0x0806), Request who-has ${who} tell 172.16.20.10, length 28`,
      });
      const tagged = judgeCapture(spec(200), [arp("172.16.20.11", [200]), arp("172.16.20.11", [200])], "n1/enp0s3");
      expect([tagged.expected, tagged.actual, tagged.detail]).to.deep.equal([
        "frames to 172.16.20.11 tagged vlan 200",
        "frames to 172.16.20.11 tagged vlan 200",
        "2 frames captured: 0 echo requests to 172.16.20.11, 2 ARP requests for it",
      ]);
      expect(judgeCapture(spec(200), [arp("172.16.20.11", [])], "n1/enp0s3").actual).to.equal(
        "frames to 172.16.20.11 untagged",
      );
      // ARP for another address (172.16.20.110 starts like the target) is not the check's.
      expect(judgeCapture(spec(200), [arp("172.16.20.110", [200])], "n1/enp0s3").actual).to.equal(
        "no frame to 172.16.20.11 captured",
      );
    });

    it("ignores echo requests to other hosts", () => {
      const outcome = judgeCapture(spec(200), [echo("172.16.20.12", [200])], "n1/enp0s3");
      expect([outcome.actual, outcome.detail]).to.deep.equal([
        "no frame to 172.16.20.11 captured",
        "1 frames captured: 0 echo requests to 172.16.20.11, 0 ARP requests for it",
      ]);
    });
  });

  describe("commands and probe", () => {
    /** A node where tcpdump's packet socket shows up after `readyAfter` looks at /proc/net/packet. */
    const listening = (readyAfter: number, others: (command: string) => object = () => ({ exitCode: 124 })) => {
      let looks = 0;
      const header = "sk       RefCnt Type Proto  Iface R Rmem   User   Inode";
      const socket = "ffff9c4a 3      3    0003   2     1 0      0      41257";
      // libpcap's socket before it is bound for every protocol: it captures nothing yet.
      const unbound = "ffff9c4a 3      3    0000   0     0 0      0      41257";
      return fakeProbeEnv((_node, command) => {
        if (command !== "cat /proc/net/packet") return others(command);
        // The first look is the baseline, before tcpdump starts.
        const ready = looks++ > readyAfter;
        return {
          exitCode: 0,
          stdout: ready ? `${header}\n${socket}\n` : `${header}\n${looks > 1 ? `${unbound}\n` : ""}`,
        };
      });
    };

    it("counts only sockets bound for every protocol and running: libpcap's first, unbound socket is not ready", () => {
      const header = "sk               RefCnt Type Proto  Iface R Rmem   User   Inode";
      expect(capturingSockets(`${header}\n`)).to.equal(0);
      expect(
        capturingSockets(`${header}\n00000000f6c1a4cb 3      3    0000   0     0 0      0      581589\n`),
      ).to.equal(0);
      expect(
        capturingSockets(`${header}\n00000000f6c1a4cb 3      3    0003   2     1 0      0      581589\n`),
      ).to.equal(1);
      expect(
        capturingSockets(`${header}\n00000000f6c1a4cb 3      3    0003   2     0 0      0      581589\n`),
      ).to.equal(0);
    });

    it("plans the commands the probe runs", async () => {
      const planned = capture
        .commands(spec(100), { checkId: "tag", deadlineMs: 0 })
        .map((c) => `${c.node}: ${c.command}`);
      const { env, ran } = listening(0);
      await capture.probe(spec(100), env, { checkId: "tag", deadlineMs: 0 });
      expect(planned).to.include.members([...new Set(ran)]);
      expect(planned).to.include(
        "n1: pid=$(cat /run/macvlab-tag.pid) && grep -qF /run/macvlab-tag.pcap /proc/$pid/cmdline && kill -INT $pid",
      );
    });

    it("stops tcpdump once the ping's three requests are in the file, signalling only the pid its capture recorded", async () => {
      const text = fixture("tcpdump-e-vlan.txt");
      let stop: () => void = () => {};
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      let reads = 0;
      const fake = listening(0, (command) => {
        if (command.startsWith("tcpdump -e -nn -r ")) return { stdout: ++reads < 3 ? "" : text };
        if (command.startsWith("pid=$(cat ")) stop();
        return {};
      });
      const env = {
        ...fake.env,
        exec: (node: string, command: string, options?: { timeoutMs?: number; label?: string }) =>
          command.startsWith("echo $$ > ")
            ? stopped.then(() => fake.env.exec(node, command, options))
            : fake.env.exec(node, command, options),
      };
      const outcome = await capture.probe(spec(200), env, { checkId: "tag", deadlineMs: 0 });
      expect(outcome.actual).to.equal("frames to 172.16.20.11 tagged vlan 200");
      const after = fake.ran.slice(fake.ran.findIndex((r) => r.includes("ping")) + 1).map((r) => r.split(": ")[1]);
      expect(after.slice(0, 4)).to.deep.equal([
        "tcpdump -e -nn -r /run/macvlab-tag.pcap",
        "tcpdump -e -nn -r /run/macvlab-tag.pcap",
        "tcpdump -e -nn -r /run/macvlab-tag.pcap",
        "pid=$(cat /run/macvlab-tag.pid) && grep -qF /run/macvlab-tag.pcap /proc/$pid/cmdline && kill -INT $pid",
      ]);
      expect(fake.slept.slice(-2)).to.deep.equal([100, 100]);
    });

    it("sends its traffic only once tcpdump's socket is open, gives it more time than its own timeout, and labels the clean-up", async () => {
      const { env, options, slept, ran } = listening(3);
      await capture.probe(spec(100), env, { checkId: "tag", deadlineMs: 0 });
      // Baseline, the capture, three looks without the socket (a pause after each), the look that sees it, the ping.
      expect(ran.slice(0, 7).map((r) => r.split(": ")[1]?.split(" ")[0])).to.deep.equal([
        "cat",
        "echo",
        "cat",
        "cat",
        "cat",
        "cat",
        "ip",
      ]);
      expect(slept).to.deep.equal([100, 100, 100]);
      // The capture runs `timeout 60` (a container's ping may take seconds to start): the transport must not cut it first.
      expect(ran[1]).to.contain("exec timeout 60 tcpdump");
      expect(options[1]?.timeoutMs).to.be.greaterThan(60_000);
      expect(options.at(-1)?.label).to.equal("read and remove /run/macvlab-tag.pcap");
    });

    it("gives up waiting for the socket after 2 s and looks anyway (the verdict then shows what was missed)", async () => {
      const { env, slept } = listening(1000);
      const outcome = await capture.probe(spec(100), env, { checkId: "tag", deadlineMs: 0 });
      expect(slept.reduce((a, b) => a + b, 0)).to.equal(2000);
      expect(outcome.actual).to.equal("no frame to 172.16.20.11 captured");
    });

    it("attaches the pcap decoded from base64, and tcpdump's text, and judges that text", async () => {
      const text = fixture("tcpdump-e-vlan.txt");
      const { env, attached } = listening(0, (command) => {
        if (command.startsWith("echo $$ > ")) return { exitCode: 124 };
        if (command.startsWith("base64 ")) return { stdout: "1MOyoQ==" };
        return command.startsWith("tcpdump -e -nn -r ") ? { stdout: text } : {};
      });
      const outcome = await capture.probe(spec(200), env, { checkId: "tag", deadlineMs: 0 });
      expect(outcome.actual).to.equal("frames to 172.16.20.11 tagged vlan 200");
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
      const full = listening(0, () => ({ exitCode: 0 }));
      expect((await capture.probe(spec(100), full.env, { checkId: "tag", deadlineMs: 0 })).actual).to.equal(
        "no frame to 172.16.20.11 captured",
      );
      const broken = listening(0, (command) =>
        command.startsWith("echo $$ > ")
          ? { exitCode: 1, stderr: "tcpdump: enp0s3: No such device exists\n" }
          : { exitCode: 0 },
      );
      const error = await rejection(capture.probe(spec(100), broken.env, { checkId: "tag", deadlineMs: 0 }));
      expect(error).to.be.instanceOf(CheckCommandError);
      expect(error.message).to.equal("capture on n1/enp0s3 failed (exit 1): tcpdump: enp0s3: No such device exists");
      // The baseline, the capture, the look that saw no socket yet... then the traffic; nothing after the failure.
      expect(broken.ran.filter((r) => !r.endsWith("/proc/net/packet"))).to.have.length(2);
    });
  });
});
