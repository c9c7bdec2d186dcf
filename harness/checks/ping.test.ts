import { expect } from "chai";
import { CheckCommandError } from "../model/errors.ts";
import { parsePingFixture, pingFixtureOutput } from "../parse/fixture-files.ts";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import { judgePing, ping, pingCommand } from "./ping.ts";

const spec = (input: object) => ping.schema.parse(input);

describe("ping commands", () => {
  it("an unreachable check sends several probes but ends at its deadline", () => {
    expect(pingCommand(spec({ from: "a", to: "172.16.20.10", expect: "unreachable" }), 1000)).to.equal(
      "env LC_ALL=C ping -n -c 3 -i 0.3 -W 1 -w 1 172.16.20.10",
    );
  });
  it("an unreachable check's -w is its deadline in whole seconds, at least 1", () => {
    const unreachable = spec({ from: "a", to: "172.16.20.10", expect: "unreachable", count: 5 });
    expect(pingCommand(unreachable, 3000)).to.equal("env LC_ALL=C ping -n -c 5 -i 0.3 -W 1 -w 3 172.16.20.10");
    expect(pingCommand(unreachable, 200)).to.equal("env LC_ALL=C ping -n -c 5 -i 0.3 -W 1 -w 1 172.16.20.10");
  });
  it("a reachable attempt is one probe with a 1 s reply timeout, inside the namespace when given", () => {
    expect(pingCommand(spec({ from: "a", netns: "net1", to: "172.16.5.2" }), 5000)).to.equal(
      "ip netns exec net1 env LC_ALL=C ping -n -c 1 -W 1 172.16.5.2",
    );
    expect(pingCommand(spec({ from: "a", to: "172.16.5.2", count: 3 }), 5000)).to.equal(
      "env LC_ALL=C ping -n -c 3 -i 0.2 -W 1 172.16.5.2",
    );
  });
  it("every command it builds is among its declared inspectors", () => {
    for (const input of [
      { from: "a", to: "10.0.0.1", expect: "unreachable", count: 5 },
      { from: "a", netns: "x", to: "10.0.0.1" },
    ]) {
      const [command] = ping.commands(spec(input), { checkId: "c", deadlineMs: 3000 });
      expect(
        ping.readOnly.some((re) => re.test(command!.command)),
        command!.command,
      ).to.equal(true);
    }
  });
});

describe("judgePing", () => {
  const to = (address: string, input: object = {}) => spec({ from: "a", to: address, ...input });

  it("sums the run up in the detail: counts, TTLs", () => {
    expect(judgePing(to("10.99.2.2"), parsePingFixture("ping-iputils-ttl63"), "a/ns1")).to.deep.equal({
      subject: "a/ns1 → 10.99.2.2",
      expected: "reachable",
      actual: "reachable",
      detail: "3 sent, 3 received, 0% loss; TTL 63",
    });
  });

  it("shows the first two problems only", () => {
    const outcome = judgePing(to("10.99.0.78"), parsePingFixture("ping-iputils-host-unreachable"), "a");
    expect(outcome.detail).to.equal(
      "5 sent, 0 received, 100% loss; From 10.99.0.1 icmp_seq=1 Destination Host Unreachable; " +
        "From 10.99.0.1 icmp_seq=2 Destination Host Unreachable",
    );
  });

  it("replies from other hosts (a broadcast ping) are not the target's, and the detail names who answered", () => {
    const summary = parsePingFixture("ping-iputils-broadcast-dup");
    const outcome = judgePing(to("10.99.0.255"), summary, "a");
    expect([outcome.actual, outcome.detail]).to.deep.equal([
      "unreachable",
      "2 sent, 2 received, 0% loss; replies from 10.99.0.2",
    ]);
    const two = { ...summary, replies: summary.replies.map((r) => (r.duplicate ? { ...r, from: "10.99.0.3" } : r)) };
    expect(judgePing(to("10.99.0.3"), two, "a").detail).to.equal(
      "2 sent, 2 received, 0% loss; TTL 64; replies from 10.99.0.2, 10.99.0.3",
    );
  });

  it("shows every TTL the target answered with (the path changed during the run)", () => {
    const summary = parsePingFixture("ping-iputils-ttl63");
    const changed = { ...summary, replies: summary.replies.map((r, i) => (i === 2 ? { ...r, ttl: 64 } : r)) };
    expect(judgePing(to("10.99.2.2", { ttl: 63 }), changed, "a").actual).to.equal("reachable, TTL 63/64");
    const unreachable = judgePing(to("10.99.2.2", { expect: "unreachable" }), changed, "a");
    expect([unreachable.actual, unreachable.detail]).to.deep.equal([
      "reachable (TTL 63/64)",
      "3 sent, 3 received, 0% loss; TTL 63/64",
    ]);
  });

  it("expects reachable unless told otherwise", () => {
    expect(to("10.0.0.1").expect).to.equal("reachable");
    expect(to("10.0.0.1", { expect: "reachable" }).expect).to.equal("reachable");
  });
});

describe("the ping probe", () => {
  const check = spec({ from: "a", netns: "ns1", to: "10.99.0.78" });
  const context = { checkId: "c", deadlineMs: 5000 };
  const run = (name: string, exitCode: number | undefined) => fakeProbeEnv({ exitCode, ...pingFixtureOutput(name) });

  it("runs ping in the namespace, gives the transport more time than ping's deadline, and judges the output", async () => {
    const { env, ran, options } = run("ping-iputils-host-unreachable", 1);
    expect((await ping.probe(check, env, context)).actual).to.equal("unreachable");
    expect(ran).to.deep.equal(["a: ip netns exec ns1 env LC_ALL=C ping -n -c 1 -W 1 10.99.0.78"]);
    expect(options[0]?.timeoutMs).to.be.greaterThan(context.deadlineMs);
  });

  it("judges exit 0 (replies) and exit 1 (none) from what ping printed", async () => {
    const reply = run("ping-iputils-reply", 0);
    expect((await ping.probe({ ...check, to: "10.99.0.2" }, reply.env, context)).actual).to.equal("reachable");
    const timeout = run("ping-iputils-timeout", 1);
    expect((await ping.probe({ ...check, to: "10.99.0.77" }, timeout.env, context)).actual).to.equal("unreachable");
  });

  it("judges exit 2 as unreachable when ping says the kernel could not send, on stdout or stderr", async () => {
    for (const name of ["ping-iputils-net-unreachable", "ping-iputils-host-unreachable"]) {
      const { env } = run(name, 2);
      expect((await ping.probe(check, env, context)).actual, name).to.equal("unreachable");
    }
  });

  it("any other failure is the check's own, with what ping said", async () => {
    const badAddress = run("ping-iputils-bad-address", 2);
    const error = await rejection(ping.probe(check, badAddress.env, context));
    expect(error).to.be.instanceOf(CheckCommandError);
    expect(error.message).to.equal(
      "check c could not run ping on a/ns1 (exit 2): ping: nosuch.invalid: Temporary failure in name resolution",
    );
    const killed = fakeProbeEnv({
      exitCode: undefined,
      signal: "SIGKILL",
      stdout: "PING 10.99.0.78 (10.99.0.78) 56(84) bytes of data.\n",
    });
    expect((await rejection(ping.probe(check, killed.env, context))).message).to.equal(
      "check c could not run ping on a/ns1 (exit SIGKILL): PING 10.99.0.78 (10.99.0.78) 56(84) bytes of data.",
    );
  });
});
