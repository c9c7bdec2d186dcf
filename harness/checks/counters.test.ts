import { expect } from "chai";
import { holds } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import { counters } from "./counters.ts";

const context = { checkId: "cnt", deadlineMs: 0 };
const TO = ["192.168.70.11", "192.168.70.12"];
const spec = (input: object) => counters.schema.parse({ node: "node1", traffic: { from: "node1", to: TO }, ...input });

interface Packets {
  readonly rx: number;
  readonly tx: number;
}

/** `ip -j -s link show dev X` as iproute2 6.1 prints it. */
const stats = (ifname: string, { rx, tx }: Packets) =>
  JSON.stringify([
    {
      ifindex: ifname === "enp0s3" ? 2 : 3,
      ifname,
      flags: ["BROADCAST", "MULTICAST", "SLAVE", "UP", "LOWER_UP"],
      mtu: 1500,
      qdisc: "fq_codel",
      master: "team0",
      operstate: "UP",
      linkmode: "DEFAULT",
      group: "default",
      txqlen: 1000,
      link_type: "ether",
      address: "08:00:27:00:01:03",
      broadcast: "ff:ff:ff:ff:ff:ff",
      stats64: {
        rx: { bytes: 86 * rx, packets: rx, errors: 0, dropped: 0, over_errors: 0, multicast: 0 },
        tx: { bytes: 86 * tx, packets: tx, errors: 0, dropped: 0, carrier_errors: 0, collisions: 0 },
      },
    },
  ]);

/** iputils `ping -n -c 3 -i 0.2 -W 1 TO`: all three answered, or none (exit 1). */
const pingOutput = (to: string, answered: boolean) =>
  answered
    ? [
        `PING ${to} (${to}) 56(84) bytes of data.`,
        `64 bytes from ${to}: icmp_seq=1 ttl=64 time=0.412 ms`,
        `64 bytes from ${to}: icmp_seq=2 ttl=64 time=0.301 ms`,
        `64 bytes from ${to}: icmp_seq=3 ttl=64 time=0.355 ms`,
        "",
        `--- ${to} ping statistics ---`,
        "3 packets transmitted, 3 received, 0% packet loss, time 405ms",
        "rtt min/avg/max/mdev = 0.301/0.356/0.412/0.045 ms",
        "",
      ].join("\n")
    : [
        `PING ${to} (${to}) 56(84) bytes of data.`,
        "",
        `--- ${to} ping statistics ---`,
        "3 packets transmitted, 0 received, 100% packet loss, time 413ms",
        "",
      ].join("\n");

/**
 * A node whose interfaces' counters read `before` the first time and `after` from then on, and whose
 * pings are answered by `answering`.
 */
const lab = (devs: Record<string, { before: Packets; after: Packets }>, answering: readonly string[] = TO) => {
  const reads: Record<string, number> = {};
  return fakeProbeEnv((_node, command) => {
    const dev = /^ip -j -s link show dev (\S+)$/.exec(command)?.[1];
    if (dev) {
      const counts = devs[dev];
      if (!counts) return { exitCode: 1, stderr: `Device "${dev}" does not exist.\n` };
      reads[dev] = (reads[dev] ?? 0) + 1;
      return { stdout: stats(dev, reads[dev] === 1 ? counts.before : counts.after) };
    }
    const to = command.split(" ").at(-1)!;
    const answered = answering.includes(to);
    return { exitCode: answered ? 0 : 1, stdout: pingOutput(to, answered) };
  });
};

const grew = (tx: number, rx = 0) => ({ before: { rx: 33, tx: 17 }, after: { rx: 33 + rx, tx: 17 + tx } });

describe("counters", () => {
  it("reads every counter, pings each destination, reads them again, and judges the deltas", async () => {
    const check = spec({ grow: ["enp0s3", "enp0s8"] });
    const { env, ran } = lab({ enp0s3: grew(3), enp0s8: grew(6) });
    const outcome = await counters.probe(check, env, context);
    expect(outcome).to.deep.equal({
      subject: "node1: tx packets while node1 pings 192.168.70.11, 192.168.70.12",
      expected: "enp0s3 tx +≥3, enp0s8 tx +≥3, 2/2 destinations answered",
      actual: "enp0s3 tx +≥3, enp0s8 tx +≥3, 2/2 destinations answered",
      detail: "enp0s3 tx +3; enp0s8 tx +6",
    });
    expect(ran).to.deep.equal([
      "node1: ip -j -s link show dev enp0s3",
      "node1: ip -j -s link show dev enp0s8",
      "node1: env LC_ALL=C ping -n -c 3 -i 0.2 -W 1 192.168.70.11",
      "node1: env LC_ALL=C ping -n -c 3 -i 0.2 -W 1 192.168.70.12",
      "node1: ip -j -s link show dev enp0s3",
      "node1: ip -j -s link show dev enp0s8",
    ]);
    expect(counters.commands(check, context).map((c) => `${c.node}: ${c.command}`)).to.deep.equal(ran);
  });

  it("fails when a port that should carry traffic did not grow enough, with its delta", async () => {
    const outcome = await counters.probe(
      spec({ grow: ["enp0s3", "enp0s8"] }),
      lab({ enp0s3: grew(8), enp0s8: grew(2) }).env,
      context,
    );
    expect(holds(outcome)).to.equal(false);
    expect(outcome.actual).to.equal("enp0s3 tx +≥3, enp0s8 tx +2, 2/2 destinations answered");
  });

  it("fails when a port that should stay idle carried the traffic, with its delta", async () => {
    const check = spec({ grow: ["enp0s3"], idle: ["enp0s8"], min_packets: 6 });
    const idle = await counters.probe(check, lab({ enp0s3: grew(8), enp0s8: grew(0) }).env, context);
    expect(holds(idle), idle.actual).to.equal(true);
    const busy = await counters.probe(check, lab({ enp0s3: grew(8), enp0s8: grew(8) }).env, context);
    expect(holds(busy)).to.equal(false);
    expect(busy.actual).to.match(/^enp0s3 tx \+≥6, enp0s8 tx \+8, 2\/2 destinations answered$/);
    expect(busy.detail).to.equal("enp0s3 tx +8; enp0s8 tx +8");
  });

  it("fails when a destination did not answer, even if the counters grew", async () => {
    const { env } = lab({ enp0s3: grew(8) }, ["192.168.70.12"]);
    const outcome = await counters.probe(spec({ grow: ["enp0s3"] }), env, context);
    expect(holds(outcome)).to.equal(false);
    expect(outcome.actual).to.equal("enp0s3 tx +≥3, 1/2 destinations answered");
  });

  it("a reply from another host is no answer from the destination", async () => {
    const { env } = fakeProbeEnv((_node, command) =>
      command.startsWith("ip ")
        ? { stdout: stats("enp0s3", { rx: 0, tx: 0 }) }
        : { exitCode: 0, stdout: pingOutput("192.168.70.99", true) },
    );
    const outcome = await counters.probe(spec({ grow: ["enp0s3"] }), env, context);
    expect(outcome.actual).to.equal("enp0s3 tx +0, 0/2 destinations answered");
  });

  it("reads the direction it is told: rx ignores what was sent", async () => {
    const check = spec({ direction: "rx", grow: ["enp0s3"] });
    const outcome = await counters.probe(check, lab({ enp0s3: grew(9, 1) }).env, context);
    expect([outcome.subject, outcome.actual]).to.deep.equal([
      "node1: rx packets while node1 pings 192.168.70.11, 192.168.70.12",
      "enp0s3 rx +1, 2/2 destinations answered",
    ]);
  });

  it("pings from the namespace it names", async () => {
    const check = spec({ grow: ["enp0s3"], traffic: { from: "node2", netns: "box1", to: ["10.0.0.1"], count: 5 } });
    expect(counters.commands(check, context)[1]).to.deep.equal({
      node: "node2",
      command: "ip netns exec box1 env LC_ALL=C ping -n -c 5 -i 0.2 -W 1 10.0.0.1",
    });
    expect((await counters.probe(check, lab({ enp0s3: grew(5) }, ["10.0.0.1"]).env, context)).subject).to.equal(
      "node1: tx packets while node2/box1 pings 10.0.0.1",
    );
  });

  it("calls a counter it cannot read the check's own failure", async () => {
    const missing = await rejection(counters.probe(spec({ grow: ["enp0s9"] }), lab({}).env, context));
    expect(missing).to.be.instanceOf(CheckCommandError);
    expect(missing.message).to.match(
      /^check cnt: read-only command failed on node1 \(exit 1\): ip -j -s link show dev enp0s9/,
    );
    // Read without -s: no counters at all.
    const { stats64: _stats, ...bare } = JSON.parse(stats("enp0s3", { rx: 1, tx: 1 }))[0];
    const { env } = fakeProbeEnv({ stdout: JSON.stringify([bare]) });
    const error = await rejection(counters.probe(spec({ grow: ["enp0s3"] }), env, context));
    expect(error).to.be.instanceOf(CheckCommandError);
    expect(error.message).to.equal("ip -j -s link show dev enp0s3 printed no counters");
  });

  it("calls ping failing to run (no such namespace) the check's own failure, not an unanswered destination", async () => {
    const { env } = fakeProbeEnv((_node, command) =>
      command.startsWith("ip -j -s")
        ? { stdout: stats("enp0s3", { rx: 1, tx: 1 }) }
        : { exitCode: 255, stderr: 'Cannot open network namespace "box9": No such file or directory\n' },
    );
    const error = await rejection(
      counters.probe(spec({ grow: ["enp0s3"], traffic: { from: "node1", netns: "box9", to: TO } }), env, context),
    );
    expect(error).to.be.instanceOf(CheckCommandError);
    expect(error.message).to.match(/^check cnt: read-only command failed on node1 \(exit 255\): ip netns exec box9 /);
    expect(error.message).to.include("Cannot open network namespace");
  });

  it("needs at least one interface to watch", () => {
    const result = counters.schema.safeParse({ node: "node1", traffic: { from: "node1", to: TO } });
    expect(result.error?.issues[0]?.message).to.equal("name at least one interface in grow or idle");
  });
});
