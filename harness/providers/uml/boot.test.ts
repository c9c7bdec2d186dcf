import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { InfrastructureError } from "../../model/errors.ts";
import { bootUml, killStrayUml, UML_KERNEL, type UmlMachine } from "./boot.ts";
import { pidsInGroup, readStat } from "./process-group.ts";
import { processIdentity } from "./process-identity.ts";
import { writePidFile } from "./stray.ts";

// CI sets MACVLAB_FORBID_SKIPS=1: a machine without UML must fail there, not turn green.
const skipReason = existsSync(UML_KERNEL)
  ? undefined
  : `${UML_KERNEL} is absent (apt-get install user-mode-linux kmod)`;
if (skipReason && process.env.MACVLAB_FORBID_SKIPS === "1") throw new Error(`UML tests cannot run: ${skipReason}`);
const suite = skipReason ? describe.skip : describe;

/** Every host process of a UML booted with this state dir (its uml_dir= argument), zombies included. */
function umlProcessesOf(stateDir: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8")
          .split("\0")
          .includes(`uml_dir=${join(stateDir, "uml")}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `pgrep -x linux`, restricted to one process group. */
function pgrepLinuxIn(pgid: number): number[] {
  const out = execFileSync("sh", ["-c", "pgrep -x linux || true"], { encoding: "utf8" });
  return out
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => readStat(pid)?.pgrp === pgid);
}

suite(`bootUml (User-Mode Linux)${skipReason ? ` — skipped: ${skipReason}` : ""}`, function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const newStateDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "macvlab-uml-test-"));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe("a booted machine", () => {
    let machine: UmlMachine;
    let stateDir: string;
    before(async () => {
      stateDir = newStateDir();
      machine = await bootUml({ stateDir, name: "umltest" });
    });
    after(async () => machine?.stop());

    it("runs commands as root over SSH with exit code, stdout and stderr", async () => {
      const result = await machine.shell.exec("id -u; hostname; echo oops >&2; exit 3");
      expect(result).to.include({ stdout: "0\numltest\n", stderr: "oops\n", exitCode: 3, failed: true });
      expect(machine.kernelVersion).to.match(/^\d+\.\d+/);
      expect(machine.consoleLog()).to.contain("macvlab-init: ready for sshd");
    });

    it("has 8021q and ipvlan: a VLAN and an ipvlan on a veth (lo cannot carry VLANs)", async () => {
      const lo = await machine.shell.exec("ip link add link lo name lo.100 type vlan id 100");
      expect(lo.stderr).to.contain("VLANs not supported");
      const setup =
        "ip link add p0 type veth peer name p1 && ip link add link p0 name p0.100 type vlan id 100 && ip link add link p0 name ipv0 type ipvlan mode l2";
      await machine.shell.exec(setup, { reject: true });
      const links = JSON.parse((await machine.shell.exec("ip -d -j link show", { reject: true })).stdout) as Array<{
        ifname: string;
        linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
      }>;
      const byName = new Map(links.map((link) => [link.ifname, link.linkinfo]));
      expect(byName.get("p0.100")).to.deep.include({ info_kind: "vlan" });
      expect(byName.get("p0.100")?.info_data).to.include({ id: 100, protocol: "802.1Q" });
      expect(byName.get("ipv0")).to.deep.include({ info_kind: "ipvlan" });
      expect(byName.get("ipv0")?.info_data).to.include({ mode: "l2" });
    });

    it("runs the documents' iptables NAT and state rules on the legacy backend", async () => {
      await machine.shell.exec(
        "iptables -t nat -A POSTROUTING -o p0 -j MASQUERADE && iptables -A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT",
        { reject: true },
      );
      const saved = (await machine.shell.exec("iptables-save && iptables -V", { reject: true })).stdout;
      expect(saved)
        .to.contain("-A POSTROUTING -o p0 -j MASQUERADE")
        .and.contain("--state RELATED,ESTABLISHED")
        .and.contain("(legacy)");
    });

    it("has netns, unshare and nsenter, and tcpdump -e sees 802.1Q tags on the veth", async () => {
      const script = [
        "ip netns add y && ip link set p1 netns y && ip -n y link set p1 up",
        "ip -n y link add link p1 name p1.100 type vlan id 100 && ip -n y addr add 10.100.0.2/24 dev p1.100 && ip -n y link set p1.100 up",
        "ip addr add 10.100.0.1/24 dev p0.100 && ip link set p0 up && ip link set p0.100 up",
        "timeout 10 tcpdump -e -n -l -c 1 -i p0 'vlan and icmp' >/run/macvlab/cap 2>/run/macvlab/cap.err &",
        "for i in $(seq 50); do grep -q listening /run/macvlab/cap.err && break; sleep 0.1; done",
        "ping -c 2 -W 2 10.100.0.2 >/dev/null; wait; cat /run/macvlab/cap",
        "nsenter --net=/run/netns/y unshare --uts sh -c 'hostname inner && hostname'",
      ].join("\n");
      const out = (await machine.shell.exec(script, { reject: true, timeoutMs: 30_000 })).stdout;
      expect(out).to.match(/ethertype 802\.1Q \(0x8100\), length \d+: vlan 100/);
      expect(out).to.match(/inner\n$/);
    });

    it("shows sshd in ps inside", async () => {
      // sshd retitles itself "sshd: root@notty" once the session runs.
      expect((await machine.shell.exec("ps -e -o comm,args", { reject: true })).stdout).to.match(
        /^sshd +sshd: root@notty/m,
      );
    });

    it("stops completely: no process of its group left, none in pgrep -x linux; stop is idempotent", async () => {
      const pid = machine.pid;
      expect(pidsInGroup(pid)).to.not.be.empty;
      await machine.stop();
      expect(pidsInGroup(pid)).to.deep.equal([]);
      expect(pgrepLinuxIn(pid)).to.deep.equal([]);
      expect(umlProcessesOf(stateDir)).to.deep.equal([]);
      await machine.stop();
      expect(existsSync(join(stateDir, "uml.pid"))).to.equal(false);
    });
  });

  for (const [label, options, expected] of [
    ["a bogus init path", { initPath: "/nonexistent/init" }, /Requested init \/nonexistent\/init failed/],
    ["too little memory", { memMb: 16 }, /Too few physical memory|Kernel panic|Failed to allocate/],
  ] as const) {
    it(`rejects ${label} with the console log, in time, leaving no process`, async () => {
      const stateDir = newStateDir();
      const started = Date.now();
      const error = await bootUml({ stateDir, bootTimeoutMs: 20_000, ...options }).then(
        (machine) => machine.stop().then(() => undefined),
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(InfrastructureError);
      expect((error as Error).message)
        .to.match(expected)
        .and.contain("UML console");
      expect(Date.now() - started).to.be.below(20_000);
      expect(umlProcessesOf(stateDir)).to.deep.equal([]);
    });
  }

  it("killStrayUml kills the UML a crashed run left, and only ours", async () => {
    const stateDir = newStateDir();
    const machine = await bootUml({ stateDir, memMb: 128 });
    try {
      expect(await killStrayUml(stateDir)).to.equal(true); // as a new run after a crash would
      expect(pidsInGroup(machine.pid)).to.deep.equal([]);
      expect(umlProcessesOf(stateDir)).to.deep.equal([]);
    } finally {
      await machine.stop(); // still fine: nothing left to stop
    }
    // A pid file that names someone else (here: this very process) must not kill it.
    const self = processIdentity(process.pid);
    if (!self) throw new Error("cannot read this process's own identity");
    await writePidFile(stateDir, { ...self, cmdline: [...self.cmdline, `uml_dir=${join(stateDir, "uml")}`] });
    expect(await killStrayUml(stateDir)).to.equal(false);
  });
});
