import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { PROJECT_ROOT } from "../model/paths.ts";
import { scratchWorkPerTest } from "../testing/scratch-work.ts";

const BIN = join(PROJECT_ROOT, "bin", "macvlab.js");
const SCENARIO = join(PROJECT_ROOT, "scenarios", "macvlan-same-network.yaml");

/** Runs the CLI with its own state and results directories. */
function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 170_000,
  });
}

/** Starts the CLI, waits until its output matches `when`, then calls `act` with its pid. */
function runUntil(
  args: string[],
  env: Record<string, string>,
  when: RegExp,
  act: (pid: number) => void,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, MACVLAB_PROGRESS: "1" } });
    let output = "";
    let acted = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!acted && when.test(output)) {
        acted = true;
        act(child.pid!);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("macvlab CLI end to end (root, netns provider)", () => {
  const scratch = scratchWorkPerTest("macvlab-e2e-");
  let work: string;
  let env: Record<string, string>;
  beforeEach(() => {
    work = scratch.dir;
    env = { MACVLAB_STATE_DIR: join(work, "state") };
  });

  it("refuses a scenario that injects shell, with file:line and exit 2, creating nothing", () => {
    const file = join(work, "macvlan-same-network.yaml");
    writeFileSync(
      file,
      readFileSync(SCENARIO, "utf8").replace(
        "link: { node: node2, dev: enp0s3,",
        'link: { node: node2, dev: "x; rm -rf /",',
      ),
    );
    const result = cli(["run", file, "--results", join(work, "results")], env);
    expect(result.status, result.stderr).to.equal(2);
    expect(result.stderr).to.match(/macvlan-same-network\.yaml:\d+:\d+: checks\.0\.link\.dev: an interface name/);
    expect(existsSync(join(work, "state")), "state dir created").to.equal(false);
    expect(existsSync(join(work, "results")), "results written").to.equal(false);
  });

  it("refuses an unknown key and a YAML error with exit 2", () => {
    const file = join(work, "macvlan-same-network.yaml");
    writeFileSync(
      file,
      readFileSync(SCENARIO, "utf8").replace(
        "severity: critical\ntags:",
        'severity: critical\nname: "x; rm -rf /"\ntags:',
      ),
    );
    const unknown = cli(["run", file], env);
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.match(/macvlan-same-network\.yaml:\d+:1: name: unknown key "name"/);
    writeFileSync(file, "id: [oops\n");
    const broken = cli(["run", file], env);
    expect(broken.status).to.equal(2);
    expect(broken.stderr).to.match(/macvlan-same-network\.yaml:\d+:\d+: /);
  });

  it("turns the router's checks red with expected vs seen when ip_forward=0 is set on purpose (--break)", () => {
    const routed = join(PROJECT_ROOT, "scenarios", "l3-routed.yaml");
    const result = cli(["run", routed, "--break", "forwarding-off", "--results", join(work, "results")], env);
    expect(result.status, result.stdout + result.stderr).to.equal(1);
    expect(result.stdout).to.match(/3 failing/);
    expect(result.stdout).to.match(
      /router-forwards[\s\S]*expected net\.ipv4\.ip_forward = 1, saw net\.ipv4\.ip_forward = 0/,
    );
    expect(result.stdout).to.match(/box1-reaches-box4[\s\S]*expected reachable, TTL 63, saw unreachable/);
    expect(readdirSync(join(work, "state", "netns"))).to.deep.equal([]);
  });

  it("cleans up and says so when interrupted with SIGINT mid-scenario", async () => {
    const { code, output } = await runUntil(
      ["run", SCENARIO, "--results", join(work, "results")],
      env,
      /node2-parent-promisc/,
      (pid) => process.kill(pid, "SIGINT"),
    );
    expect(code, output).to.equal(130);
    expect(output).to.match(/SIGINT received/);
    expect(output).to.match(/two-hosts: taken down/);
    expect(readdirSync(join(work, "state", "netns"))).to.deep.equal([]);
  });

  it("keeps one owner per lab: a second up/down while a run is in its checks fails or skips, naming the run", async () => {
    const second: Record<string, ReturnType<typeof cli>> = {};
    const { code, output } = await runUntil(
      ["run", SCENARIO, "--results", join(work, "results")],
      env,
      /child-is-macvlan-bridge/,
      () => {
        second.up = cli(["lab", "up", "two-hosts", "--provider", "netns"], env);
        second.downAll = cli(["lab", "down"], env);
        second.downNamed = cli(["down", "two-hosts"], env);
      },
    );
    const holder =
      /is in use by pid \d+: macvlab run \S+macvlan-same-network\.yaml --results \S+ \(exclusive lock on the netns lab, process started [0-9T:.-]+Z\)/;
    expect(second.up?.status, second.up?.stderr).to.equal(2);
    expect(second.up?.stderr).to.match(
      new RegExp(`lab two-hosts ${holder.source}; try again when it is done, or add --wait`),
    );
    expect(second.downAll?.status, second.downAll?.stderr).to.equal(0);
    expect(second.downAll?.stdout).to.match(/netns: lab two-hosts skipped: in use by pid \d+: macvlab run/);
    expect(second.downNamed?.status).to.equal(2);
    expect(second.downNamed?.stderr).to.match(holder);
    expect(code, output).to.equal(0);
    expect(output).to.match(/macvlab: \d+ passed, 0 failed, 0 skipped/);
    expect(readdirSync(join(work, "state", "netns"))).to.deep.equal([]);
  });

  it("waits for the holder with --wait, then takes the lab", async () => {
    let waited: ReturnType<typeof cli> | undefined;
    const { code } = await runUntil(
      ["run", SCENARIO, "--results", join(work, "results")],
      env,
      /child-is-macvlan-bridge/,
      () => {
        waited = cli(["lab", "up", "two-hosts", "--provider", "netns", "--wait"], env);
      },
    );
    expect(code).to.equal(0);
    expect(waited?.status, waited?.stderr).to.equal(0);
    expect(waited?.stderr).to.match(/lab two-hosts is in use by pid \d+: macvlab run .*; waiting for it \(--wait\)/);
    expect(waited?.stdout).to.match(/lab two-hosts is up on netns/);
    expect(cli(["down"], env).stdout).to.match(/netns: lab two-hosts down/);
  });

  /** Every phase with each signal once across the table; the exit code is 128 + the signal's number. */
  const faults = [
    { command: "run", phase: "build", signal: "SIGINT", code: 130 },
    { command: "run", phase: "setup", signal: "SIGTERM", code: 143 },
    { command: "run", phase: "checks", signal: "SIGHUP", code: 129 },
    { command: "run", phase: "teardown", signal: "SIGINT", code: 130 },
    { command: "lab up", phase: "build", signal: "SIGHUP", code: 129 },
    { command: "lab up", phase: "setup", signal: "SIGTERM", code: 143 },
  ] as const;
  for (const { command, phase, signal, code: expected } of faults)
    it(`\`${command}\` stopped by ${signal} at the ${phase} failpoint tears everything down and exits ${expected}`, async () => {
      const args =
        command === "run"
          ? ["run", SCENARIO, "--results", join(work, "results")]
          : ["lab", "up", "two-hosts", "--provider", "netns", "--solve", SCENARIO];
      const { code, output } = await runUntil(
        args,
        { ...env, MACVLAB_FAILPOINT: phase },
        new RegExp(`macvlab: failpoint ${phase} reached\n`),
        (pid) => process.kill(pid, signal),
      );
      expect(code, output).to.equal(expected);
      expect(output).to.include(`macvlab: ${signal} received: stopping and tearing down what this command started`);
      expect(output).to.include("macvlab: netns lab two-hosts: taken down\n");
      expect(output).to.include("macvlab: released 1 lab lock\n");
      expect(output).to.include(
        `macvlab: interrupted by ${signal}; nothing this command started is left; exit ${expected}\n`,
      );
      expect(readdirSync(join(work, "state", "netns"))).to.deep.equal([]);
      // The lab is free again: no stale lock.
      const up = cli(["up", "two-hosts"], env);
      expect(up.status, up.stderr).to.equal(0);
      expect(cli(["down", "two-hosts"], env).status).to.equal(0);
    });

  it("a second Ctrl-C stops at once and says what is left and the command that removes it", async () => {
    const { code, output } = await runUntil(
      ["run", SCENARIO, "--results", join(work, "results")],
      { ...env, MACVLAB_FAILPOINT: "checks" },
      /macvlab: failpoint checks reached\n/,
      (pid) => {
        process.kill(pid, "SIGINT");
        setTimeout(() => process.kill(pid, "SIGINT"), 20);
      },
    );
    expect(code, output).to.equal(130);
    expect(output).to.include("macvlab: SIGINT again: exiting without finishing the teardown");
    expect(output).to.include(
      `macvlab: left behind: netns lab two-hosts: remove it with \`MACVLAB_STATE_DIR=${env.MACVLAB_STATE_DIR} macvlab down two-hosts\``,
    );
    const down = cli(["down", "two-hosts"], env);
    expect(down.status, down.stderr).to.equal(0);
    expect(readdirSync(join(work, "state", "netns"))).to.deep.equal([]);
  });

  it("reports a killed sshd as a broken lab naming the node, and still cleans up", async () => {
    const { code, output } = await runUntil(
      ["run", SCENARIO, "--results", join(work, "results")],
      env,
      /node2-parent-promisc/,
      (pid) => {
        // Each node's sshd runs under the nsenter that took it into the node's PID namespace.
        const nsenters = spawnSync("pgrep", ["-P", String(pid), "-x", "nsenter"], { encoding: "utf8" }).stdout;
        for (const nsenter of nsenters.split("\n").filter(Boolean))
          spawnSync("pkill", ["-KILL", "-P", nsenter, "sshd"]);
      },
    );
    expect(code, output).to.equal(1);
    expect(output).to.match(/node node\d: SSH (connection lost|session closed)/);
    expect(readdirSync(join(work, "state", "netns"))).to.deep.equal([]);
  });

  it("clears a crashed run's leftovers on the next up, and down is idempotent", async () => {
    const { code } = await runUntil(
      ["run", SCENARIO, "--results", join(work, "results")],
      env,
      /node2-parent-promisc/,
      (pid) => process.kill(pid, "SIGKILL"),
    );
    expect(code).to.equal(null);
    expect(readdirSync(join(work, "state", "netns"))).to.deep.equal(["two-hosts"]);
    const up = cli(["up", "two-hosts"], env);
    expect(up.status, up.stderr).to.equal(0);
    expect(up.stdout).to.match(/lab two-hosts is up on netns/);
    const down = cli(["down"], env);
    expect(down.stdout).to.match(/netns: lab two-hosts down/);
    expect(cli(["down", "two-hosts"], env).status).to.equal(0);
  });
});

describe("macvlab CLI end to end (uml provider)", () => {
  let work: string;
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), "macvlab-e2e-uml-"))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** UML kernels started under this test's state dir (other runs on the machine may have their own). */
  const ourKernels = () => spawnSync("pgrep", ["-f", `^/usr/bin/linux .*${work}`], { encoding: "utf8" }).stdout.trim();

  it("stops the kernel and leaves nothing behind when interrupted mid-scenario", async () => {
    const env = { MACVLAB_STATE_DIR: join(work, "state") };
    const scenario = join(PROJECT_ROOT, "scenarios", "vlan-isolation.yaml");
    const { code, output } = await runUntil(
      ["run", scenario, "--provider", "uml", "--results", join(work, "results")],
      env,
      /vlan100-subinterface/,
      (pid) => process.kill(pid, "SIGINT"),
    );
    expect(code, output).to.equal(130);
    expect(output).to.match(/trunk: taken down/);
    expect(ourKernels(), "UML processes left").to.equal("");
    expect(readdirSync(join(work, "state", "uml"))).to.deep.equal([]);
  });

  it("reports a lab that cannot boot as a broken lab with the console log, and leaves no kernel", () => {
    const env = { MACVLAB_STATE_DIR: join(work, "state"), MACVLAB_UML_MEM_MB: "16" };
    const result = cli(
      [
        "run",
        join(PROJECT_ROOT, "scenarios", "vlan-isolation.yaml"),
        "--provider",
        "uml",
        "--results",
        join(work, "results"),
      ],
      env,
    );
    expect(result.status, result.stdout + result.stderr).to.equal(1);
    expect(result.stdout).to.match(/UML \S+ failed to boot/);
    expect(ourKernels(), "UML processes left").to.equal("");
  });
});
