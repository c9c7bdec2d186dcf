/**
 * The containers provider against a real Docker engine (`npm run test:containers`, which `.ci/containers`
 * runs on a private dockerd). Not part of `npm test`: that runs where no engine may exist. Here an
 * engine is required, and its absence is a failure, not a skip.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { CLI_ENTRY, SCENARIOS_DIR } from "../../model/paths.ts";
import { engine, LABEL, nodeImage, removeLabelled } from "./engine.ts";
import { ExecShell } from "./exec-shell.ts";
import { type LabContainerHandle, NODE_HOST_CONFIG, startContainer } from "./lab-containers.ts";

const run = promisify(execFile);
const SAME_NETWORK = join(SCENARIOS_DIR, "macvlan-same-network.yaml");
const sha = (text: string) => createHash("sha256").update(text).digest("hex");
/** This test file's own containers, apart from any lab's. */
const TEST_LABELS = { [LABEL.instance]: "engine-test", [LABEL.role]: `test-${process.pid}` };

async function cli(args: string[], state: string) {
  return run(process.execPath, [CLI_ENTRY, ...args], {
    env: { ...process.env, MACVLAB_STATE_DIR: state },
    maxBuffer: 16 << 20,
    // Past mocha's own deadline a command left running would outlive the suite (mocha --exit does not wait).
    timeout: 240_000,
    killSignal: "SIGKILL",
  }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

async function labContainers(lab: string): Promise<string[]> {
  const docker = (await engine()).container.dockerode;
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL.lab}=${lab}`] } });
  return found.map((c) => c.Names[0] ?? c.Id);
}

describe("containers provider on a Docker engine", function () {
  this.timeout(300_000);
  let box: LabContainerHandle;

  before(async () => {
    box = await startContainer(
      { image: nodeImage(), name: `macvlab-engine-test-${process.pid}`, labels: TEST_LABELS, host: NODE_HOST_CONFIG },
      "box",
    );
  });
  after(async () => {
    await removeLabelled(TEST_LABELS);
  });

  it("returns every byte of large outputs run at once, the same as the engine's own `docker exec`", async () => {
    const command = "seq 1 180000; seq 1 50000 >&2; exit 3";
    const results = await Promise.all(Array.from({ length: 8 }, () => box.shell.exec(command, { timeoutMs: 60_000 })));
    const reference = await run("docker", ["exec", box.name, "sh", "-c", "seq 1 180000"], { maxBuffer: 16 << 20 });
    expect(reference.stdout.length).to.be.greaterThan(1_000_000);
    for (const result of results) {
      expect(result.exitCode).to.equal(3);
      expect(result.truncated).to.equal(false);
      expect(sha(result.stdout)).to.equal(sha(reference.stdout));
      expect(result.stderr.split("\n").at(-2)).to.equal("50000");
    }
  });

  it("kills a command at its deadline and leaves none of its processes", async () => {
    const result = await box.shell.exec("sleep 300 & sleep 301; echo never", { timeoutMs: 1_500 });
    expect(result.timedOut).to.equal(true);
    expect(result.failed).to.equal(true);
    expect(result.stdout).to.not.include("never");
    const ps = await box.shell.exec("ps -eo args", { reject: true });
    expect(ps.stdout).to.not.match(/sleep 30[01]/);
  });

  it("kills a command whose output runs far past the cap, keeping its head and tail", async () => {
    const small = new ExecShell("box", box.container, { outputCapBytes: 64 << 10 });
    const result = await small.exec("yes macvlab", { timeoutMs: 60_000 });
    expect(result.killedForOutput).to.equal(true);
    expect(result.truncated).to.equal(true);
    expect(result.stdout.length).to.be.lessThan(80 << 10);
    const ps = await box.shell.exec("ps -eo args", { reject: true });
    expect(ps.stdout).to.not.match(/^yes/m);
  });

  it("a lab brought up by one command is graded by a second and taken down by a third, and only that lab", async () => {
    const state = mkdtempSync(join(tmpdir(), "macvlab-containers-"));
    const other = mkdtempSync(join(tmpdir(), "macvlab-containers-other-"));
    try {
      // The same lab from another state root: another instance on the same engine, which must survive.
      const otherUp = await cli(["lab", "up", "two-hosts", "--provider", "containers"], other);
      expect(otherUp.code, otherUp.out).to.equal(0);
      const up = await cli(
        ["lab", "up", "two-hosts", "--provider", "containers", "--solve", "macvlan-same-network"],
        state,
      );
      expect(up.code, up.out).to.equal(0);
      expect(up.out).to.include("is up on containers");
      const both = await labContainers("two-hosts");
      expect(both).to.have.length(2 * 3); // two instances: a switch and two nodes each
      // A person's shell on a node, from another process: stdin in, the node's answers and exit code out.
      const shell = spawnSync(
        process.execPath,
        [CLI_ENTRY, "ssh", "node2", "--lab", "two-hosts", "--provider", "containers"],
        {
          env: { ...process.env, MACVLAB_STATE_DIR: state },
          input: "hostname; ip -br link show dev enp0s3; exit 3\n",
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(shell.status, shell.stderr).to.equal(3);
      expect(shell.stdout)
        .to.match(/^node2$/m)
        .and.match(/^enp0s3\S*\s+UP/m);
      const results = join(state, "results");
      const grade = await cli(
        ["grade", SAME_NETWORK, "--provider", "containers", "--results", results, "--student", "s-1"],
        state,
      );
      expect(grade.code, grade.out).to.equal(0);
      expect(grade.out).to.match(/macvlan-same-network/);
      // Nothing in the other instance was graded or changed: its nodes have no macvlan child.
      const bare = await cli(["grade", SAME_NETWORK, "--provider", "containers", "--results", join(other, "r")], other);
      expect(bare.code, bare.out).to.not.equal(0);
      const down = await cli(["down", "two-hosts"], state);
      expect(down.code, down.out).to.equal(0);
      const left = await labContainers("two-hosts");
      expect(left).to.have.length(3);
      expect(left.join(" ")).to.not.include(both.find((n) => !left.includes(n)) ?? "-");
    } finally {
      await cli(["down", "two-hosts"], other);
      await cli(["down", "two-hosts"], state);
      rmSync(state, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
    expect(await labContainers("two-hosts")).to.deep.equal([]);
  });

  /** A run of l3-routed on its own state dir, signalled once its lab's containers exist. */
  async function signalledRun(signal: NodeJS.Signals) {
    const state = mkdtempSync(join(tmpdir(), "macvlab-containers-signal-"));
    const child = spawn(
      process.execPath,
      [
        CLI_ENTRY,
        "run",
        join(SCENARIOS_DIR, "l3-routed.yaml"),
        "--provider",
        "containers",
        "--results",
        join(state, "r"),
      ],
      { env: { ...process.env, MACVLAB_STATE_DIR: state }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c));
    child.stderr.on("data", (c: Buffer) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 120_000;
    while ((await labContainers("routed")).length < 4 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(await labContainers("routed"), output).to.have.length(4); // the switch and three nodes
    child.kill(signal);
    return { state, code: await exited, output: () => output };
  }

  it("SIGTERM during a run: the run says so, exits 143, and leaves no container and no state", async () => {
    const { state, code, output } = await signalledRun("SIGTERM");
    try {
      expect(code, output()).to.equal(143);
      expect(output()).to.include("interrupted by SIGTERM; nothing this command started is left; exit 143");
      expect(await labContainers("routed")).to.deep.equal([]);
      expect(existsSync(join(state, "containers", "routed"))).to.equal(false);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  it("SIGKILL during a run: the label sweep of `down` removes what the killed run left (Ryuk's image is absent here)", async () => {
    const { state, code, output } = await signalledRun("SIGKILL");
    try {
      expect(code, output()).to.equal(null);
      expect(await labContainers("routed")).to.have.length(4);
      const down = await cli(["down", "routed"], state);
      expect(down.code, down.out).to.equal(0);
      expect(await labContainers("routed")).to.deep.equal([]);
      expect(existsSync(join(state, "containers", "routed"))).to.equal(false);
    } finally {
      await cli(["down", "routed"], state);
      rmSync(state, { recursive: true, force: true });
    }
  });
});
