import { expect } from "chai";
import { holds } from "../expect/outcome.ts";
import { CheckCommandError, InfrastructureError } from "../model/errors.ts";
import { Check, type CheckSpec, type StepSpec } from "../scenario/schema.ts";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import type { ShellResult } from "../transport/shell.ts";
import { judgeCheck, type PerformSteps } from "./judge.ts";

const PULL = { switch_port: { node: "n", nic: "enp0s3", link: "down" } };
const PLUG = { switch_port: { node: "n", nic: "enp0s3", link: "up" } };
const WHILE = { title: "enp0s3's cable pulled", do: [PULL], undo: [PLUG] };

const check = (kind: object, extra: object = {}): CheckSpec =>
  Check.parse({ id: "c", title: "t", hint: "h", ...kind, ...extra });
const routeCheck = (extra: object = {}) => check({ route: { node: "n", dst: "default" } }, extra);
const trafficCheck = (extra: object = {}) =>
  check({ traffic: { from: "n", to: "10.0.0.1", duration_ms: 1000, act_after_ms: 300, settle_ms: 0 } }, extra);

const ROUTES = JSON.stringify([{ dst: "default", gateway: "10.0.0.1", dev: "enp0s3", flags: [] }]);
const PING = [
  "PING 10.0.0.1 (10.0.0.1) 56(84) bytes of data.",
  ...Array.from(
    { length: 20 },
    (_, i) =>
      `[${(1764650000.1 + i * 0.05).toFixed(6)}] 64 bytes from 10.0.0.1: icmp_seq=${i + 1} ttl=64 time=0.105 ms`,
  ),
].join("\n");

/**
 * A lab and a runner's `perform` that log, in one list, every command a check runs, every wait, and
 * every change made or undone; `answer` says how each command ends.
 */
function harness(answer: (command: string, nth: number) => Partial<ShellResult> = () => ({})) {
  const events: string[] = [];
  const performed: Array<{ title: string; steps: readonly StepSpec[] }> = [];
  let commands = 0;
  const { env } = fakeProbeEnv((_node, command) => {
    events.push(`exec ${command}`);
    return answer(command, ++commands);
  });
  const perform: PerformSteps = async (title, steps) => {
    events.push(title);
    performed.push({ title, steps });
  };
  return { env: { ...env, sleep: async (ms: number) => void events.push(`sleep ${ms}`) }, perform, events, performed };
}

describe("judging a check with a `while` change", () => {
  it("an inspecting kind: the change is made before it looks and undone after", async () => {
    const { env, perform, events, performed } = harness(() => ({ stdout: ROUTES }));
    const outcome = await judgeCheck(routeCheck({ while: WHILE }), env, "hold", perform);
    expect(holds(outcome)).to.equal(true);
    expect(events).to.deep.equal([
      "while: enp0s3's cable pulled",
      "exec ip -j route show",
      "undo: enp0s3's cable pulled",
    ]);
    expect(performed.map((p) => p.steps)).to.deep.equal([[PULL], [PLUG]]);
  });

  it("a retried check makes its change once, and undoes it once", async () => {
    // No default route at first; there on the second look (one retry interval later).
    const { env, perform, events } = harness((_command, nth) => ({ stdout: nth === 1 ? "[]" : ROUTES }));
    const outcome = await judgeCheck(routeCheck({ while: WHILE, deadline_ms: 2000 }), env, "hold", perform);
    expect(holds(outcome)).to.equal(true);
    expect(events).to.deep.equal([
      "while: enp0s3's cable pulled",
      "exec ip -j route show",
      "exec ip -j route show",
      "undo: enp0s3's cable pulled",
    ]);
  });

  it("the traffic kind: the change comes in the middle of the ping, through act()", async () => {
    const { env, perform, events } = harness(() => ({ stdout: PING }));
    const outcome = await judgeCheck(trafficCheck({ while: WHILE }), env, "hold", perform);
    expect(outcome.detail).to.match(/^measured: 0 of 20 probes lost/);
    expect(events).to.deep.equal([
      "exec env LC_ALL=C ping -n -D -c 20 -i 0.05 -W 1 10.0.0.1",
      "sleep 300",
      "while: enp0s3's cable pulled",
      "undo: enp0s3's cable pulled",
    ]);
  });

  it("the change is undone when the probe throws, and the probe's error comes out", async () => {
    const route = harness(() => ({ exitCode: 1, stderr: "Cannot open network namespace" }));
    const error = await rejection(judgeCheck(routeCheck({ while: WHILE }), route.env, "hold", route.perform));
    expect(error).to.be.instanceOf(CheckCommandError);
    expect(route.events).to.deep.equal([
      "while: enp0s3's cable pulled",
      "exec ip -j route show",
      "undo: enp0s3's cable pulled",
    ]);
    const ping = harness(() => ({ exitCode: 2, stderr: "ping: connect: Network is unreachable" }));
    const failed = await rejection(judgeCheck(trafficCheck({ while: WHILE }), ping.env, "hold", ping.perform));
    expect(failed).to.be.instanceOf(CheckCommandError);
    expect(ping.events.slice(-2)).to.deep.equal(["while: enp0s3's cable pulled", "undo: enp0s3's cable pulled"]);
  });

  it("a change that fails part-way is still undone, and the check never looks", async () => {
    const { env, events } = harness(() => ({ stdout: ROUTES }));
    const broken = new Error("switch port of n/enp0s3: no such link");
    const perform: PerformSteps = async (title) => {
      events.push(title);
      if (title.startsWith("while:")) throw broken;
    };
    expect(await rejection(judgeCheck(routeCheck({ while: WHILE }), env, "hold", perform))).to.equal(broken);
    expect(events).to.deep.equal(["while: enp0s3's cable pulled", "undo: enp0s3's cable pulled"]);
  });

  it("without perform (grading) a check with a change is refused before anything runs", async () => {
    for (const spec of [routeCheck({ while: WHILE }), trafficCheck({ while: WHILE })]) {
      const { env, events } = harness(() => ({ stdout: ROUTES }));
      const error = await rejection(judgeCheck(spec, env));
      expect(error).to.be.instanceOf(InfrastructureError);
      expect(error.message).to.equal("check c changes the lab (enp0s3's cable pulled): only `macvlab run` judges it");
      expect(events).to.deep.equal([]);
    }
  });

  it("a check without a change never calls perform, even a kind that acts during its probe", async () => {
    const route = harness(() => ({ stdout: ROUTES }));
    expect(holds(await judgeCheck(routeCheck(), route.env, "hold", route.perform))).to.equal(true);
    const ping = harness(() => ({ stdout: PING }));
    expect(holds(await judgeCheck(trafficCheck(), ping.env, "hold", ping.perform))).to.equal(true);
    expect([...route.performed, ...ping.performed]).to.deep.equal([]);
    expect(ping.events).to.deep.equal(["exec env LC_ALL=C ping -n -D -c 20 -i 0.05 -W 1 10.0.0.1", "sleep 300"]);
  });

  it("when the probe and the undo both fail, the error tells both, the probe's first", async () => {
    const { env } = harness(() => ({ exitCode: 2, stderr: "Cannot find device" }));
    const perform: PerformSteps = async (title) => {
      if (title.startsWith("undo")) throw new Error("switch port gone");
    };
    const error = await rejection(judgeCheck(routeCheck({ while: WHILE }), env, "hold", perform));
    expect(error).to.be.instanceOf(InfrastructureError);
    expect(error.message).to.match(/^check c: check c: read-only command failed on n \(exit 2\)/);
    expect(error.message).to.include(`and undoing "enp0s3's cable pulled" failed as well: switch port gone`);
    expect((error as Error & { cause?: unknown }).cause).to.be.instanceOf(CheckCommandError);
  });
});
