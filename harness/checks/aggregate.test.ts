import { expect } from "chai";
import { holds } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import { aggregate } from "./aggregate.ts";

const spec = (input: object) => aggregate.schema.parse({ node: "node1", ...input });
const context = { checkId: "agg", deadlineMs: 0 };

// In the shape of iproute2 6.1's `ip -j -d link show dev bond1` and `… show master bond1` on the
// namespace lab (its NICs are veths).
const bond = (info: object) => ({
  ifindex: 4,
  ifname: "bond1",
  flags: ["BROADCAST", "MULTICAST", "MASTER", "UP", "LOWER_UP"],
  mtu: 1500,
  qdisc: "noqueue",
  operstate: "UP",
  linkmode: "DEFAULT",
  group: "default",
  txqlen: 1000,
  link_type: "ether",
  address: "08:00:27:00:01:03",
  broadcast: "ff:ff:ff:ff:ff:ff",
  promiscuity: 0,
  linkinfo: {
    info_kind: "bond",
    info_data: {
      mode: "active-backup",
      active_slave: "enp0s3",
      miimon: 100,
      updelay: 0,
      downdelay: 0,
      use_carrier: 1,
      arp_interval: 0,
      primary_reselect: "always",
      fail_over_mac: "none",
      xmit_hash_policy: "layer2",
      ...info,
    },
  },
});
const bondPort = (ifname: string, ifindex: number, state: "ACTIVE" | "BACKUP", mii: "UP" | "DOWN") => ({
  ifindex,
  link_index: ifindex + 10,
  ifname,
  flags:
    mii === "UP" ? ["BROADCAST", "MULTICAST", "SLAVE", "UP", "LOWER_UP"] : ["NO-CARRIER", "BROADCAST", "SLAVE", "UP"],
  mtu: 1500,
  master: "bond1",
  operstate: mii === "UP" ? "UP" : "LOWERLAYERDOWN",
  address: "08:00:27:00:01:03",
  linkinfo: {
    info_kind: "veth",
    info_slave_kind: "bond",
    info_slave_data: {
      state,
      mii_status: mii,
      link_failure_count: mii === "UP" ? 0 : 1,
      perm_hwaddr: "08:00:27:00:01:03",
      queue_id: 0,
    },
  },
});
const healthyPorts = [bondPort("enp0s3", 2, "ACTIVE", "UP"), bondPort("enp0s8", 3, "BACKUP", "UP")];

const PROC_BONDING = "Ethernet Channel Bonding Driver: v6.1.176\n\nBonding Mode: fault-tolerance (active-backup)\n";

/** A node whose bond1 says `own` about itself and has `ports`. */
const bondLab = (own: object, ports: object[] = healthyPorts) =>
  fakeProbeEnv((_node, command) => {
    if (command === "ip -j -d link show dev bond1") return { stdout: JSON.stringify([own]) };
    if (command === "ip -j -d link show master bond1") return { stdout: JSON.stringify(ports) };
    if (command === "cat /proc/net/bonding/bond1") return { stdout: PROC_BONDING };
    throw new Error(`unexpected command ${command}`);
  });

const fullBond = spec({
  dev: "bond1",
  kind: "bond",
  mode: "active-backup",
  miimon: 100,
  active: "enp0s3",
  ports: ["enp0s8", "enp0s3"],
  ports_up: ["enp0s3", "enp0s8"],
});

describe("aggregate", () => {
  describe("bond", () => {
    it("reads the bond and then its ports, and holds for the bond the scenario describes", async () => {
      const { env, ran } = bondLab(bond({}));
      const outcome = await aggregate.probe(fullBond, env, context);
      expect(outcome).to.deep.equal({
        subject: "node1: bond bond1",
        expected:
          "bond present, mode active-backup, miimon 100, active enp0s3, ports enp0s3,enp0s8, enp0s3 up, enp0s8 up",
        actual:
          "bond present, mode active-backup, miimon 100, active enp0s3, ports enp0s3,enp0s8, enp0s3 up, enp0s8 up",
        detail: "bond active-backup, active enp0s3; ports: enp0s3 up, enp0s8 up",
      });
      // A verdict that holds needs no more evidence: /proc/net/bonding is read only beside a failure.
      expect(ran).to.deep.equal(["node1: ip -j -d link show dev bond1", "node1: ip -j -d link show master bond1"]);
      expect(aggregate.commands(fullBond, context).map((c) => `${c.node}: ${c.command}`)).to.deep.equal([
        ...ran,
        "node1: cat /proc/net/bonding/bond1",
      ]);
    });

    it("beside a failed verdict, attaches the bonding driver's own account", async () => {
      const { env, ran, attached } = bondLab(bond({ miimon: 0 }));
      expect(holds(await aggregate.probe(fullBond, env, context))).to.equal(false);
      expect(ran.at(-1)).to.equal("node1: cat /proc/net/bonding/bond1");
      expect(attached).to.deep.equal([
        { name: "node1: cat /proc/net/bonding/bond1", content: PROC_BONDING, contentType: "text/plain" },
      ]);
    });

    it("fails on another mode (balance-rr has no active port)", async () => {
      const { active_slave: _active, ...rr } = bond({ mode: "balance-rr" }).linkinfo.info_data;
      const { env } = bondLab({ ...bond({}), linkinfo: { info_kind: "bond", info_data: rr } });
      const outcome = await aggregate.probe(fullBond, env, context);
      expect(holds(outcome)).to.equal(false);
      expect(outcome.actual).to.equal(
        "bond present, mode balance-rr, miimon 100, active none, ports enp0s3,enp0s8, enp0s3 up, enp0s8 up",
      );
    });

    it("fails with link monitoring off (miimon 0): the bond would never notice a dead link", async () => {
      const outcome = await aggregate.probe(fullBond, bondLab(bond({ miimon: 0 })).env, context);
      expect(holds(outcome)).to.equal(false);
      expect(outcome.actual).to.include("miimon 0,");
    });

    it("fails when another port is active, and holds for the failover the scenario expects", async () => {
      const failedOver = [bondPort("enp0s3", 2, "BACKUP", "DOWN"), bondPort("enp0s8", 3, "ACTIVE", "UP")];
      const { env } = bondLab(bond({ active_slave: "enp0s8" }), failedOver);
      const before = await aggregate.probe(spec({ dev: "bond1", kind: "bond", active: "enp0s3" }), env, context);
      expect([before.expected, before.actual]).to.deep.equal([
        "bond present, active enp0s3",
        "bond present, active enp0s8",
      ]);
      const after = spec({
        dev: "bond1",
        kind: "bond",
        active: "enp0s8",
        ports_up: ["enp0s8"],
        ports_down: ["enp0s3"],
      });
      const outcome = await aggregate.probe(after, env, context);
      expect(holds(outcome), outcome.actual).to.equal(true);
      expect(outcome.detail).to.equal("bond active-backup, active enp0s8; ports: enp0s3 down, enp0s8 up");
    });

    it("fails when a port's MII status is down, naming the port", async () => {
      const { env } = bondLab(bond({}), [
        bondPort("enp0s3", 2, "ACTIVE", "UP"),
        bondPort("enp0s8", 3, "BACKUP", "DOWN"),
      ]);
      const outcome = await aggregate.probe(fullBond, env, context);
      expect(holds(outcome)).to.equal(false);
      expect(outcome.actual).to.match(/, enp0s3 up, enp0s8 down$/);
      // And a port expected down that is up fails too.
      const down = await aggregate.probe(spec({ dev: "bond1", kind: "bond", ports_down: ["enp0s3"] }), env, context);
      expect([down.expected, down.actual]).to.deep.equal(["bond present, enp0s3 down", "bond present, enp0s3 up"]);
    });

    it("fails when a port is missing: the set of ports differs, and the missing one is not a port", async () => {
      const { env } = bondLab(bond({}), [bondPort("enp0s3", 2, "ACTIVE", "UP")]);
      const outcome = await aggregate.probe(fullBond, env, context);
      expect(outcome.actual).to.equal(
        "bond present, mode active-backup, miimon 100, active enp0s3, ports enp0s3, enp0s3 up, enp0s8 not a port",
      );
      const none = await aggregate.probe(fullBond, bondLab(bond({}), []).env, context);
      expect(none.actual).to.include("ports none,");
      expect(none.detail).to.equal("bond active-backup, active enp0s3; ports: none");
    });

    it("no such device, or a device that is not a bond: no bond, without reading ports", async () => {
      const missing = fakeProbeEnv({ exitCode: 1, stderr: 'Device "bond1" does not exist.\n' });
      const outcome = await aggregate.probe(fullBond, missing.env, context);
      expect([outcome.expected.startsWith("bond present"), outcome.actual, outcome.detail]).to.deep.equal([
        true,
        "no bond bond1",
        "",
      ]);
      expect(missing.ran).to.deep.equal(["node1: ip -j -d link show dev bond1"]);
      const bridge = { ...bond({}), linkinfo: { info_kind: "bridge", info_data: { stp_state: 0 } } };
      expect((await aggregate.probe(fullBond, bondLab(bridge).env, context)).actual).to.equal("no bond bond1");
    });

    it("calls any other failure to read the bond the check's own", async () => {
      const { env } = fakeProbeEnv({ exitCode: 255, stderr: "ip: command not found\n" });
      const error = await rejection(aggregate.probe(fullBond, env, context));
      expect(error).to.be.instanceOf(CheckCommandError);
      expect(error.message).to.equal(
        "check agg: read-only command failed on node1 (exit 255): ip -j -d link show dev bond1\nip: command not found",
      );
    });
  });

  describe("team", () => {
    const teamPort = (ifname: string, up: boolean) => ({
      ifinfo: { dev_addr: "08:00:27:00:01:03", dev_addr_len: 6, ifindex: ifname === "enp0s3" ? 2 : 3, ifname },
      link: { duplex: "full", speed: 1000, up },
      link_watches: {
        list: { link_watch_0: { delay_down: 0, delay_up: 0, down_count: up ? 0 : 1, name: "ethtool", up } },
        up,
      },
    });
    const teamDump = (runner: string, ports: Record<string, boolean>, active?: string) =>
      JSON.stringify({
        ports: Object.fromEntries(Object.entries(ports).map(([name, up]) => [name, teamPort(name, up)])),
        setup: {
          daemonized: true,
          dbus_enabled: false,
          debug_level: 0,
          kernel_team_mode_name: runner,
          pid: 2741,
          pid_file: "/var/run/teamd/team0.pid",
          runner_name: runner,
          zmq_enabled: false,
        },
        team_device: { ifinfo: { dev_addr: "08:00:27:00:01:03", dev_addr_len: 6, ifindex: 4, ifname: "team0" } },
        ...(active === undefined ? {} : { runner: { active_port: active } }),
      });
    const team = spec({
      dev: "team0",
      kind: "team",
      mode: "loadbalance",
      ports: ["enp0s3", "enp0s8"],
      ports_up: ["enp0s3", "enp0s8"],
    });

    it("asks teamd, and holds for the loadbalance team with both links up", async () => {
      const { env, ran } = fakeProbeEnv({ stdout: teamDump("loadbalance", { enp0s3: true, enp0s8: true }) });
      const outcome = await aggregate.probe(team, env, context);
      expect(outcome).to.deep.equal({
        subject: "node1: team team0",
        expected: "team present, runner loadbalance, ports enp0s3,enp0s8, enp0s3 up, enp0s8 up",
        actual: "team present, runner loadbalance, ports enp0s3,enp0s8, enp0s3 up, enp0s8 up",
        detail: "team loadbalance; ports: enp0s3 up, enp0s8 up",
      });
      expect(ran).to.deep.equal(["node1: teamdctl team0 state dump"]);
    });

    it("fails on the activebackup runner, and on a port its link watch sees down", async () => {
      const ab = fakeProbeEnv({ stdout: teamDump("activebackup", { enp0s3: true, enp0s8: true }, "enp0s3") });
      const runner = await aggregate.probe(team, ab.env, context);
      expect(runner.actual).to.equal("team present, runner activebackup, ports enp0s3,enp0s8, enp0s3 up, enp0s8 up");
      expect(runner.detail).to.equal("team activebackup, active enp0s3; ports: enp0s3 up, enp0s8 up");
      const down = fakeProbeEnv({ stdout: teamDump("loadbalance", { enp0s3: false, enp0s8: true }) });
      const outcome = await aggregate.probe(team, down.env, context);
      expect(holds(outcome)).to.equal(false);
      expect(outcome.actual).to.equal("team present, runner loadbalance, ports enp0s3,enp0s8, enp0s3 down, enp0s8 up");
    });

    it("reads the activebackup runner's active port, none when it has none", async () => {
      const check = spec({ dev: "team0", kind: "team", active: "enp0s8" });
      const { env } = fakeProbeEnv({ stdout: teamDump("activebackup", { enp0s3: false, enp0s8: false }, "") });
      expect((await aggregate.probe(check, env, context)).actual).to.equal("team present, active none");
    });

    it("no team: no such device, or teamdctl cannot reach a teamd for it", async () => {
      // libteam 1.31's teamdctl, exit 1 both times.
      const stderrs = [
        'Device "team0" does not exist\n',
        "libteamdctl: teamdctl_connect: Failed to connect using all CLIs.\nteamdctl_connect failed (Invalid argument)\n",
      ];
      for (const stderr of stderrs) {
        const { env } = fakeProbeEnv({ exitCode: 1, stderr });
        const outcome = await aggregate.probe(team, env, context);
        expect(outcome.actual, stderr).to.equal("no team team0");
      }
    });

    it("calls any other teamdctl failure the check's own", async () => {
      const { env } = fakeProbeEnv({ exitCode: 1, stderr: "command call failed (Connection timed out)\n" });
      const error = await rejection(aggregate.probe(team, env, context));
      expect(error).to.be.instanceOf(CheckCommandError);
      expect(error.message).to.match(
        /^check agg: read-only command failed on node1 \(exit 1\): teamdctl team0 state dump/,
      );
    });
  });

  describe("schema", () => {
    it("refuses miimon on a team (its link watch has its own settings)", () => {
      const team = aggregate.schema.safeParse({ node: "n", dev: "team0", kind: "team", miimon: 100 });
      expect(team.error?.issues.map((i) => [i.path.join("."), i.message])).to.deep.equal([
        ["miimon", "miimon is a bond setting (a team's link watch has its own)"],
      ]);
      expect(aggregate.schema.safeParse({ node: "n", dev: "bond1", kind: "bond", miimon: 0 }).success).to.equal(true);
    });

    it("takes bond or team only, and a mode that cannot carry shell", () => {
      expect(aggregate.schema.safeParse({ node: "n", dev: "br0", kind: "bridge" }).success).to.equal(false);
      expect(aggregate.schema.safeParse({ node: "n", dev: "bond1", kind: "bond", mode: "802.3ad" }).success).to.equal(
        true,
      );
      expect(aggregate.schema.safeParse({ node: "n", dev: "bond1", kind: "bond", mode: "x; reboot" }).success).to.equal(
        false,
      );
    });
  });
});
