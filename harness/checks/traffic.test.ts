import { expect } from "chai";
import { holds } from "../expect/outcome.ts";
import { CheckCommandError, ConnectionLostError } from "../model/errors.ts";
import { fakeProbeEnv, rejection, shellResult } from "../testing/fake-probe-env.ts";
import type { ShellResult } from "../transport/shell.ts";
import type { ProbeEnv } from "./check-kind.ts";
import { traffic, trafficCommand } from "./traffic.ts";

const TO = "192.168.60.1";
const context = { checkId: "failover", deadlineMs: 0 };
// 80 probes, one every 50 ms; the change 1 s in; the last 30 probes (1.5 s) must all be answered.
const spec = (input: object = {}) =>
  traffic.schema.parse({
    from: "node2",
    to: TO,
    duration_ms: 4000,
    max_gap_ms: 1000,
    max_loss_percent: 20,
    ...input,
  });

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const except = (sent: number, lost: readonly number[]) => range(1, sent).filter((seq) => !lost.includes(seq));

/** iputils `ping -n -D -c SENT -i 0.05 -W 1 TO` with the given probes answered. */
const pingD = (sent: number, answered: readonly number[], intervalMs = 50) =>
  [
    `PING ${TO} (${TO}) 56(84) bytes of data.`,
    ...answered.map(
      (seq) =>
        `[${(1764650000.123456 + ((seq - 1) * intervalMs) / 1000).toFixed(6)}] 64 bytes from ${TO}: icmp_seq=${seq} ttl=64 time=0.105 ms`,
    ),
    "",
    `--- ${TO} ping statistics ---`,
    `${sent} packets transmitted, ${answered.length} received, ${Math.round((100 * (sent - answered.length)) / sent)}% packet loss, time ${(sent - 1) * intervalMs}ms`,
    "",
  ].join("\n");

/** A lab whose ping answers `answered` of 80 probes (exit 1 when any was lost, as iputils does). */
const lab = (answered: readonly number[], sent = 80) =>
  fakeProbeEnv({ exitCode: answered.length === sent ? 0 : 1, stdout: pingD(sent, answered) });

describe("traffic", () => {
  it("pings continuously at the interval it is given, as many probes as fit the duration", () => {
    expect(trafficCommand(spec())).to.equal("env LC_ALL=C ping -n -D -c 80 -i 0.05 -W 1 192.168.60.1");
    expect(trafficCommand(spec({ netns: "box1", interval_ms: 100, duration_ms: 2000 }))).to.equal(
      "ip netns exec box1 env LC_ALL=C ping -n -D -c 20 -i 0.1 -W 1 192.168.60.1",
    );
    expect(trafficCommand(spec({ interval_ms: 250, duration_ms: 2000 }))).to.equal(
      "env LC_ALL=C ping -n -D -c 8 -i 0.25 -W 1 192.168.60.1",
    );
    expect(trafficCommand(spec({ interval_ms: 1000, duration_ms: 3000 }))).to.equal(
      "env LC_ALL=C ping -n -D -c 3 -i 1 -W 1 192.168.60.1",
    );
    expect(() => spec({ duration_ms: 1000, act_after_ms: 1000 })).to.throw(/must fall inside duration_ms/);
    for (const interval_ms of [10, 50, 125, 999, 1000]) {
      const command = trafficCommand(spec({ interval_ms }));
      expect(
        traffic.readOnly.some((re) => re.test(command)),
        command,
      ).to.equal(true);
    }
  });

  it("starts the ping, makes the change once act_after_ms in, and holds when the run stays within bounds", async () => {
    // Probes 21..24 lost around the change: 250 ms of silence, 5% lost.
    const { env, ran, options, slept, acted, attached } = lab(except(80, range(21, 24)));
    const outcome = await traffic.probe(spec(), env, context);
    expect(outcome).to.deep.equal({
      subject: "node2 → 192.168.60.1, one probe every 50 ms for 4000 ms",
      expected: "loss ≤ 20%, longest gap ≤ 1000 ms, no loss in the last 1500 ms",
      actual: "loss ≤ 20%, longest gap ≤ 1000 ms, no loss in the last 1500 ms",
      detail:
        "measured: 4 of 80 probes lost (5%), longest gap 250 ms, 0 lost in the last 1500 ms; the change came 1000 ms in",
    });
    expect(ran).to.deep.equal(["node2: env LC_ALL=C ping -n -D -c 80 -i 0.05 -W 1 192.168.60.1"]);
    // The transport must not cut the run short.
    expect(options[0]?.timeoutMs).to.be.greaterThan(4000);
    expect(slept).to.deep.equal([1000]);
    // Exactly once, with the ping already started.
    expect(acted).to.deep.equal([1]);
    expect(attached).to.have.length(1);
    expect(attached[0]!.name).to.equal("timeline node2 → 192.168.60.1 (one mark per 50 ms: . answered, x lost)");
    expect(attached[0]!.content).to.equal(`${".".repeat(20)}xxxx${".".repeat(56)}\n`);
  });

  it("fails when more is lost than max_loss_percent, though no single gap is long", async () => {
    // Every other probe of the first 50 lost: 25 of 80 (31%), never more than 100 ms of silence.
    const outcome = await traffic.probe(
      spec(),
      lab(
        except(
          80,
          range(1, 25).map((i) => 2 * i),
        ),
      ).env,
      context,
    );
    expect(holds(outcome)).to.equal(false);
    expect(outcome.actual).to.equal("loss 31%, longest gap ≤ 1000 ms, no loss in the last 1500 ms");
  });

  it("fails when the longest silence is above max_gap_ms, though the loss is within bounds", async () => {
    // 200 probes, 21..42 lost: 11%, but 23 intervals between the answers to 20 and 43.
    const sent = 200;
    const { env } = fakeProbeEnv({ exitCode: 1, stdout: pingD(sent, except(sent, range(21, 42))) });
    const outcome = await traffic.probe(spec({ duration_ms: 10_000 }), env, context);
    expect(holds(outcome)).to.equal(false);
    expect(outcome.actual).to.equal("loss ≤ 20%, longest gap 1150 ms, no loss in the last 1500 ms");
  });

  it("fails when probes are lost at the end: the traffic never settled", async () => {
    // The last 30 probes are 51..80.
    const outcome = await traffic.probe(spec(), lab(except(80, [50, 61, 75, 76, 77, 78])).env, context);
    expect(holds(outcome)).to.equal(false);
    expect(outcome.actual).to.equal("loss ≤ 20%, longest gap ≤ 1000 ms, 5 of the last 30 probes lost");
    // Without a settle window, the end is not judged on its own.
    const unsettled = await traffic.probe(spec({ settle_ms: 0 }), lab(except(80, [78, 79, 80])).env, context);
    expect([unsettled.expected, holds(unsettled)]).to.deep.equal(["loss ≤ 20%, longest gap ≤ 1000 ms", true]);
  });

  it("nothing answered: everything lost, the whole run silent", async () => {
    const outcome = await traffic.probe(spec(), lab([]).env, context);
    expect(outcome.actual).to.equal("loss 100%, longest gap 4000 ms, 30 of the last 30 probes lost");
  });

  it("calls ping failing to run (exit 2) the check's own failure", async () => {
    const { env } = fakeProbeEnv({ exitCode: 2, stderr: "ping: connect: Network is unreachable\n" });
    const error = await rejection(traffic.probe(spec(), env, context));
    expect(error).to.be.instanceOf(CheckCommandError);
    expect(error.message).to.equal(
      "check failover could not run ping on node2 (exit 2): ping: connect: Network is unreachable",
    );
  });

  it("a change that fails lets the ping finish first, then reports the failure", async () => {
    const events: string[] = [];
    const base = fakeProbeEnv().env;
    const failed = new Error("switch port of node1/enp0s3: no such link");
    const env: ProbeEnv = {
      ...base,
      exec: (node, command) => {
        events.push("ping started");
        return new Promise<ShellResult>((resolve) =>
          setTimeout(() => {
            events.push("ping ended");
            resolve(shellResult(node, command, { stdout: pingD(80, range(1, 80)) }));
          }, 20),
        );
      },
      act: async () => {
        events.push("act");
        throw failed;
      },
    };
    const error = await rejection(traffic.probe(spec(), env, context));
    events.push("rejected");
    expect(error).to.equal(failed);
    expect(events).to.deep.equal(["ping started", "act", "ping ended", "rejected"]);
  });

  it("a ping that fails while the change is still to come is reported, never left unhandled", async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", listener);
    try {
      const lost = new ConnectionLostError("node node2: SSH session closed");
      const env: ProbeEnv = {
        ...fakeProbeEnv().env,
        exec: () => Promise.reject(lost),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 30))),
      };
      const error = await rejection(traffic.probe(spec(), env, context));
      expect(error).to.equal(lost);
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off("unhandledRejection", listener);
    }
  });

  it("refuses bounds it cannot measure", () => {
    expect(traffic.schema.safeParse({ from: "n", to: TO, interval_ms: 5 }).success).to.equal(false);
    expect(traffic.schema.safeParse({ from: "n", to: TO, duration_ms: 100 }).success).to.equal(false);
    expect(traffic.schema.safeParse({ from: "n", to: "192.168.60.1; reboot" }).success).to.equal(false);
  });
});
