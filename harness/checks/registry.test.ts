import { expect } from "chai";
import { fakeProbeEnv } from "../testing/fake-probe-env.ts";
import { CHECK_KIND_NAMES, CHECK_KINDS, type CheckKind, kindOf } from "./registry.ts";
import { where } from "./shared.ts";

const bound = (kind: CheckKind, spec: object = CHECK_KINDS[kind].example) =>
  kindOf({ id: "c", [kind]: CHECK_KINDS[kind].schema.parse(spec) });

describe("what each kind declares to the loader, the runner and grading", () => {
  // On each kind's own example.
  const declared = {
    ping: {
      nodeRefs: [{ node: "node2", path: ["from"] }],
      places: ["node2/box1"],
      defaultDeadlineMs: 5000,
      oneShot: false,
      graded: true,
    },
    route: {
      nodeRefs: [{ node: "node2", path: ["node"] }],
      places: ["node2"],
      defaultDeadlineMs: 2000,
      oneShot: false,
      graded: true,
    },
    link: {
      nodeRefs: [{ node: "node1", path: ["node"] }],
      places: ["node1"],
      defaultDeadlineMs: 2000,
      oneShot: false,
      graded: true,
    },
    mac: {
      nodeRefs: [
        { node: "node1", path: ["a", "node"] },
        { node: "node1", path: ["b", "node"] },
      ],
      places: ["node1", "node1/ns1"],
      defaultDeadlineMs: 2000,
      oneShot: false,
      graded: true,
    },
    sysctl: {
      nodeRefs: [{ node: "node1", path: ["node"] }],
      places: ["node1"],
      defaultDeadlineMs: 2000,
      oneShot: false,
      graded: true,
    },
    step: { nodeRefs: [], places: [], defaultDeadlineMs: 0, oneShot: true, graded: false },
    capture: {
      nodeRefs: [
        { node: "node1", path: ["node"] },
        { node: "node2", path: ["traffic", "from"] },
      ],
      places: ["node1", "node2/box1"],
      defaultDeadlineMs: 0,
      oneShot: true,
      graded: true,
    },
    aggregate: {
      nodeRefs: [{ node: "node1", path: ["node"] }],
      places: ["node1"],
      defaultDeadlineMs: 3000,
      oneShot: false,
      graded: true,
    },
    counters: {
      nodeRefs: [
        { node: "node1", path: ["node"] },
        { node: "node1", path: ["traffic", "from"] },
      ],
      places: ["node1", "node1"],
      defaultDeadlineMs: 3000,
      oneShot: false,
      graded: true,
    },
    traffic: {
      nodeRefs: [{ node: "node2", path: ["from"] }],
      places: ["node2"],
      // It spends its whole run in one probe, making the check's change in the middle of it.
      defaultDeadlineMs: 0,
      oneShot: true,
      graded: true,
    },
    fdb: {
      nodeRefs: [{ node: "node1", path: ["node"] }],
      places: ["node1", "node1/ns1"],
      defaultDeadlineMs: 3000,
      oneShot: false,
      graded: true,
    },
    docker: {
      nodeRefs: [{ node: "node2", path: ["node"] }],
      places: ["node2"],
      defaultDeadlineMs: 5000,
      oneShot: false,
      graded: true,
    },
  } as const;

  it("nodes named, where to collect evidence, default deadline, one-shot, graded", () => {
    expect(Object.keys(declared)).to.have.members(CHECK_KIND_NAMES);
    for (const kind of CHECK_KIND_NAMES) {
      const check = bound(kind);
      expect(
        {
          nodeRefs: check.nodeRefs(),
          places: check.places().map(where),
          defaultDeadlineMs: check.defaultDeadlineMs,
          oneShot: check.oneShot,
          graded: check.graded,
        },
        kind,
      ).to.deep.equal(declared[kind]);
    }
  });

  it("an unreachable ping waits less and decides in one probe that spends its deadline", () => {
    const unreachable = bound("ping", { from: "node2", to: "172.16.20.11", expect: "unreachable" });
    expect([unreachable.defaultDeadlineMs, unreachable.oneShot]).to.deep.equal([1000, true]);
  });

  it("only the step kind reads setup steps", () => {
    for (const kind of CHECK_KIND_NAMES)
      expect(bound(kind).stepRefs(), kind).to.deep.equal(
        kind === "step" ? [{ stepId: "second-passthru-child", path: ["id"] }] : [],
      );
  });

  it("a bound check probes with its own spec", async () => {
    const stderr = "RTNETLINK answers: Invalid argument";
    const { env } = fakeProbeEnv({}, { "second-passthru-child": { command: "ip link add …", exitCode: 2, stderr } });
    const outcome = await bound("step").probe(env, { checkId: "c", deadlineMs: 0 });
    expect(outcome.actual).to.equal('exit nonzero, stderr contains "Invalid argument"');
  });

  it("no kind's inspectors let through a command that changes the lab or reads another file", () => {
    const notReadOnly = [
      "ip link set dev enp0s3 down",
      "ip -j route show; reboot",
      "ip -j link show dev eth0 && ip link del eth0",
      "cat /proc/sys/net/ipv4/ip_forward > /tmp/x",
      "rm -rf /",
      "timeout 4 tcpdump -e -nn -U --immediate-mode -i enp0s3 -c 50 -w /etc/passwd",
      "tcpdump -e -nn -r /etc/shadow",
      "base64 -w0 /run/macvlab-a.pcap && rm -f /run/macvlab-b.pcap",
      "base64 -w0 /run/macvlab-a.pcap && rm -f /run/macvlab-a.pcap /etc/passwd",
      "echo $$ > /etc/passwd && exec timeout 4 tcpdump -e -nn -U --immediate-mode -i enp0s3 -c 50 -w /run/macvlab-a.pcap",
      "pid=$(cat /run/macvlab-a.pid) && grep -qF /run/macvlab-a.pcap /proc/$pid/cmdline && kill -INT 1",
      "pid=$(cat /run/macvlab-a.pid) && grep -qF /run/macvlab-a.pcap /proc/$pid/cmdline && kill -KILL $pid",
      "pid=$(cat /run/macvlab-a.pid) && kill -INT $pid",
      "pid=$(cat /run/macvlab-a.pid) && grep -qF /run/macvlab-b.pcap /proc/$pid/cmdline && kill -INT $pid",
      "echo $$ > /run/macvlab-a.pid && exec timeout 4 tcpdump -e -nn -U --immediate-mode -i enp0s3 -c 50 -w /run/macvlab-b.pcap",
      "base64 -w0 /run/macvlab-a.pcap && rm -f /run/macvlab-a.pcap /run/macvlab-b.pid",
      "env LC_ALL=C ping -n -c 3 -f 172.16.20.11",
      "teamdctl team0 port add enp0s3",
      "teamdctl team0 state item set runner.active_port enp0s8",
      "teamdctl team0 state dump; teamd -t team0 -k",
      "ip -j -d link set dev bond1 down",
      "ip -j -d link delete dev bond1",
      "ip -j -d link show dev bond1 && ip link del bond1",
      "ip -j -s link set dev enp0s3 down",
      "ip -j -s link delete dev enp0s3",
      "ip -j -s link show dev enp0s3 | tee /etc/motd",
      "env LC_ALL=C ping -n -D -c 3 -f 10.0.0.1",
      "env LC_ALL=C ping -n -D -c 3 -i 0.05 -W 1 -f 10.0.0.1",
      "env LC_ALL=C ping -n -D -c 3 -i 0.05 -f -W 1 10.0.0.1",
      "env LC_ALL=C ping -n -D -c 3 -i 0.05 -W 1 -s 65000 10.0.0.1",
      "env LC_ALL=C ping -n -D -c 3 -i 0.05 -W 1 10.0.0.1; reboot",
      "env LC_ALL=C ping -n -c 3 -i 0.2 -W 1 10.0.0.1 -b",
    ];
    for (const kind of CHECK_KIND_NAMES)
      for (const command of notReadOnly)
        expect(
          CHECK_KINDS[kind].readOnly.some((re) => re.test(command)),
          `${kind}: ${command}`,
        ).to.equal(false);
  });

  it("only the traffic kind makes the check's change itself, in the middle of what it measures", () => {
    expect(CHECK_KIND_NAMES.filter((kind) => bound(kind).actsDuringProbe)).to.deep.equal(["traffic"]);
  });

  it("every kind has a one-line summary for the README", () => {
    for (const kind of CHECK_KIND_NAMES) expect(CHECK_KINDS[kind].summary, kind).to.match(/^[^\n]{10,}$/);
  });
});
