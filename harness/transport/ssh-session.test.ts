import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { InfrastructureError } from "../model/errors.ts";
import { type SshdInetd, spawnSshdInetd } from "./child-duplex.ts";
import { CommandError } from "./command-error.ts";
import { createLabKeys, type LabKeys } from "./keys.ts";
import { neutralPasswd } from "./login-shell.ts";
import { SshSession, type SshSessionOptions } from "./ssh-session.ts";
import { sshdConfig } from "./sshd-config.ts";
import { strictModesOverride } from "./strict-modes.ts";

/** Binds $0 over /etc/passwd in the mount namespace unshare made, then becomes the command after it. */
const NEUTRAL_SHELL = 'mount --bind "$0" /etc/passwd && exec "$@"';

/**
 * Against a real `sshd -i` on this host's network (no network namespace): each test spawns one sshd
 * that speaks SSH over its stdin/stdout, logging in as root. It runs in a mount namespace of its own
 * where root's shell is /bin/sh (neutralPasswd), as on a lab's nodes: with the host's dotfiles, 20
 * commands at once took over 15 s on a loaded machine.
 */
describe("SshSession against a real sshd -i", function () {
  this.timeout(15_000);

  let dir: string;
  let keys: LabKeys;
  let configPath: string;
  let passwdPath: string;
  let spawned: SshdInetd[] = [];
  let sessions: SshSession[] = [];
  /** Remote commands orphaned on purpose (their sshd was killed): killed after the test. */
  let orphanPidFiles: string[] = [];
  const allPids: number[] = [];

  before(async () => {
    // sshd's privilege-separation directory; the openssh package creates it when its service runs.
    await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
    dir = await mkdtemp(join(tmpdir(), "macvlab-ssh-"));
    keys = await createLabKeys(join(dir, "keys"));
    configPath = join(dir, "sshd_config");
    await writeFile(configPath, sshdConfig(keys, await strictModesOverride(keys.authorizedKeysPath)));
    passwdPath = join(dir, "passwd");
    await writeFile(passwdPath, neutralPasswd(await readFile("/etc/passwd", "utf8")));
  });

  afterEach(async () => {
    await Promise.all(sessions.map((session) => session.close()));
    await Promise.all(spawned.map((sshd) => sshd.stop()));
    for (const file of orphanPidFiles) {
      const pid = Number(await readFile(file, "utf8").catch(() => "NaN"));
      if (pid > 0) spawnSync("kill", ["-KILL", String(pid)]);
    }
    sessions = [];
    spawned = [];
    orphanPidFiles = [];
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
    // After login sshd renames itself ("sshd: root@notty"), so `pgrep -f 'sshd -i'` alone would
    // miss it; check by pid as well. (Other people's sshd may run on this host: not ours to judge.)
    const alive = allPids.filter((pid) => spawnSync("kill", ["-0", String(pid)]).status === 0);
    const leftovers = spawnSync("pgrep", ["-f", `sshd -i -e -f ${dir}`], { encoding: "utf8" }).stdout.trim();
    expect(alive, "sshd processes still alive").to.deep.equal([]);
    expect(leftovers, "stray sshd -i processes").to.equal("");
  });

  function track(process: SshdInetd): SshdInetd {
    spawned.push(process);
    if (process.child.pid) allPids.push(process.child.pid);
    return process;
  }

  function startSshd(config = configPath): SshdInetd {
    const withNeutralShell = ["unshare", "--mount", "--propagation", "private", "sh", "-c", NEUTRAL_SHELL, passwdPath];
    return track(spawnSshdInetd([...withNeutralShell, "/usr/sbin/sshd", "-i", "-e", "-f", config]));
  }

  async function connect(
    overrides: Partial<SshSessionOptions> = {},
  ): Promise<{ sshd: SshdInetd; session: SshSession }> {
    const sshd = startSshd();
    const session = await SshSession.connect({
      node: "n1",
      sock: sshd.sock,
      hostKey: keys.hostPublicKey,
      privateKey: keys.clientPrivateKey,
      diagnostics: sshd.diagnostics,
      ...overrides,
    });
    sessions.push(session);
    return { sshd, session };
  }

  it("runs a command and returns exit code, stdout, stderr and duration", async () => {
    const { session } = await connect();
    const result = await session.exec("echo out; echo err >&2; echo $LC_ALL $PATH; sleep 0.2");
    expect(result).to.deep.include({
      node: "n1",
      command: "echo out; echo err >&2; echo $LC_ALL $PATH; sleep 0.2",
      // sshd's own PATH for root starts with /usr/local, where a student's `ping` would win.
      stdout: "out\nC /usr/sbin:/usr/bin:/sbin:/bin\n",
      stderr: "err\n",
      exitCode: 0,
      signal: undefined,
      timedOut: false,
      failed: false,
    });
    expect(result.durationMs).to.be.within(200, 5000);
  });

  it("refuses a command longer than the connection carries, naming the limit, and still runs shorter ones", async () => {
    const { session } = await connect({ maxCommandBytes: 100 });
    const long = `echo ${"x".repeat(200)}`;
    const refused = await session.exec(long).catch((e: Error) => e);
    expect((refused as Error).message).to.equal(
      "node n1: a command of 205 bytes is longer than this connection carries (100): write a script file and run that instead",
    );
    expect((await session.exec("echo short")).stdout).to.equal("short\n");
  });

  it("reports a non-zero exit without throwing", async () => {
    const { session } = await connect();
    const result = await session.exec("echo partial; exit 3");
    expect(result).to.deep.include({ exitCode: 3, failed: true, timedOut: false, stdout: "partial\n" });
  });

  it("throws a CommandError naming node and command with reject: true", async () => {
    const { session } = await connect();
    const command = "ls /nonexistent-macvlab-path";
    const error = await session.exec(command, { reject: true }).then(
      () => expect.fail("should have thrown"),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(CommandError);
    const commandError = error as CommandError;
    expect(commandError.kind).to.equal("infrastructure");
    expect(commandError.shortMessage).to.equal(`Command failed with exit code 2 on n1: ${command}`);
    expect(commandError.message).to.contain("No such file or directory");
    expect(commandError.result.exitCode).to.equal(2);
  });

  it("gives commands EOF on stdin, so reading it does not hang", async () => {
    const { session } = await connect();
    const result = await session.exec("cat", { timeoutMs: 3000 });
    expect(result).to.deep.include({ exitCode: 0, timedOut: false, stdout: "" });
  });

  it("times out a hanging command quickly and kills it on the server", async () => {
    const { session } = await connect();
    const started = Date.now();
    const result = await session.exec("sleep 30.25", { timeoutMs: 500 });
    // Bounds far from both sides (the deadline, and the 30 s a missed one would wait): a loaded machine is slow, not wrong.
    expect(Date.now() - started).to.be.below(10_000);
    expect(result).to.deep.include({ timedOut: true, failed: true, exitCode: undefined });
    expect(result.durationMs).to.be.within(500, 10_000);
    // sshd refuses SSH signals for root, so this checks the marker-based kill did its job.
    const check = await session.exec("pgrep -fx 'sleep 30.25'");
    expect(check.stdout, "the timed-out command is still running").to.equal("");
    expect(check.exitCode).to.equal(1);
  });

  it("throws a CommandError for a timeout with reject: true", async () => {
    const { session } = await connect();
    const error = await session.exec("sleep 30", { timeoutMs: 300, reject: true }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CommandError);
    expect((error as CommandError).shortMessage).to.equal("Command timed out after 300 ms on n1: sleep 30");
  });

  it("runs 20 concurrent commands, at most maxChannels at a time (sshd allows MaxSessions 16)", async () => {
    const { session } = await connect({ maxChannels: 8 });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => session.exec(`sleep 0.2; echo ${i}`)));
    expect(results.map((r) => r.stdout)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    expect(results.every((r) => !r.failed)).to.equal(true);
    // 20 commands of >= 200 ms, 8 at a time, need at least 3 rounds.
    expect(Date.now() - started).to.be.at.least(600);
  });

  it("shows why the cap exists: beyond MaxSessions sshd refuses channels", async () => {
    const { session } = await connect({ maxChannels: 40 });
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => session.exec("sleep 0.3")));
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect(refused.length).to.be.greaterThan(0);
    expect(String((refused[0] as PromiseRejectedResult).reason)).to.match(/n1: cannot start command/);
  });

  it("keeps the head and tail of output over the cap, marks the result truncated, and lets the command finish", async () => {
    const { session } = await connect({ outputCapBytes: 1000 });
    // 3893 bytes: over the cap, under the kill threshold (4 × the cap).
    const result = await session.exec("seq 1 1000; echo done >&2");
    expect(result).to.deep.include({
      exitCode: 0,
      failed: false,
      truncated: true,
      killedForOutput: false,
      stderr: "done\n",
    });
    const full = Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join("");
    const head = full.slice(0, 500);
    expect(result.stdout).to.equal(`${head}${head.endsWith("\n") ? "" : "\n"}… 2893 bytes cut …\n${full.slice(-500)}`);
  });

  it("kills a command whose output runs away, returns at once and stays usable", async () => {
    const { session } = await connect({ outputCapBytes: 65_536 });
    const started = Date.now();
    // Closing the channel alone would end the pipeline (SIGPIPE) but not the sleep after it.
    const result = await session.exec("head -c 1073741824 /dev/zero | tr '\\0' x; sleep 30.75; echo unreachable");
    expect(Date.now() - started, "took too long to stop it").to.be.below(10_000);
    expect(result).to.deep.include({ truncated: true, killedForOutput: true, failed: true, timedOut: false });
    expect(result.stdout).to.match(/^x{32768}\n… \d+ bytes cut …\nx{32768}$/);
    expect(result.stdout).to.not.include("unreachable");
    const left = await session.exec("pgrep -f 'head -c 107374182[4]|sleep 30.7[5]' || true");
    expect(left.stdout, "the runaway command still runs").to.equal("");
    expect((await session.exec("echo still here")).stdout).to.equal("still here\n");
    const error = await session.exec("yes", { reject: true }).catch((e: unknown) => e as CommandError);
    expect((error as CommandError).shortMessage).to.equal(
      "Command was killed: its output went past 4× the output cap (MACVLAB_OUTPUT_CAP_BYTES) on n1: yes",
    );
  });

  it("says what holds the channels instead of waiting forever for one", async () => {
    const { session } = await connect({ maxChannels: 1, channelWaitMs: 300 });
    const stream = await session.openStream("cat");
    const started = Date.now();
    const error = await session.exec("true", { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(Date.now() - started).to.be.within(250, 10_000);
    expect(error).to.be.instanceOf(InfrastructureError);
    expect((error as Error).message).to.equal(
      "node n1: no SSH channel after 0.3 s for the command true: all 1 channels this session may open are in use (1 held by long-running streams (e.g. a nested sshd each), 0 by commands)",
    );
    await stream.stop();
    expect((await session.exec("echo free")).stdout).to.equal("free\n");
  });

  it("refuses a server whose host key is not the pinned one", async () => {
    const otherKeys = await createLabKeys(join(dir, "other-keys"));
    const error = await connect({ hostKey: otherKeys.hostPublicKey }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InfrastructureError);
    expect((error as Error).message).to.match(
      /^node n1: SSH connect failed \(host key mismatch: expected SHA256:\S+, server offered SHA256:\S+\)/,
    );
  });

  it("fails to connect with sshd's own words when sshd cannot start", async () => {
    const badConfig = join(dir, "bad_sshd_config");
    await writeFile(badConfig, sshdConfig({ ...keys, hostKeyPath: join(dir, "missing_host_key") }));
    const sshd = startSshd(badConfig);
    const error = await SshSession.connect({
      node: "n1",
      sock: sshd.sock,
      hostKey: keys.hostPublicKey,
      privateKey: keys.clientPrivateKey,
      diagnostics: sshd.diagnostics,
    }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InfrastructureError);
    expect((error as Error).message).to.match(/^node n1: SSH connect failed/);
    expect((error as Error).message)
      .to.contain("exited with code 1")
      .and.to.match(/no hostkeys available/i);
  });

  it("settles once when the handshake times out", async () => {
    // A peer that never says anything: ssh2 reports a timeout and then "lost before handshake".
    const silent = track(spawnSshdInetd(["sleep", "30"]));
    const started = Date.now();
    const error = await SshSession.connect({
      node: "n1",
      sock: silent.sock,
      hostKey: keys.hostPublicKey,
      privateKey: keys.clientPrivateKey,
      readyTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(Date.now() - started).to.be.below(10_000);
    expect((error as Error).message).to.equal("node n1: SSH connect failed (Timed out while waiting for handshake)");
  });

  it("rejects the running and every later exec when sshd dies", async () => {
    const { sshd, session } = await connect();
    const pidFile = join(dir, "orphan.pid");
    orphanPidFiles.push(pidFile);
    const running = session.exec(`echo $$ > ${pidFile}; exec sleep 5`);
    await waitFor(() => readFile(pidFile, "utf8").then(Boolean, () => false));

    const killedAt = Date.now();
    sshd.child.kill("SIGKILL");
    const error = await running.then(
      () => expect.fail("should have rejected"),
      (e: unknown) => e,
    );
    // Before the 5 s sleep ends: the loss is seen, not waited out.
    expect(Date.now() - killedAt).to.be.below(4000);
    expect(error).to.be.instanceOf(InfrastructureError);
    expect((error as Error).message).to.match(/^node n1: SSH connection lost \(/);
    expect((error as Error).message).to.contain("unshare was killed by SIGKILL");

    const later = await session.exec("true").catch((e: unknown) => e);
    expect(later).to.be.instanceOf(InfrastructureError);
    expect((later as Error).message).to.match(/^node n1: SSH connection lost/);
  });

  it("close() is idempotent, ends sshd and makes exec reject", async () => {
    const { sshd, session } = await connect();
    const exited = once(sshd.child, "exit");
    await Promise.all([session.close(), session.close()]);
    await session.close();
    await exited; // sshd saw the disconnect and ended by itself
    const error = await session.exec("true").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InfrastructureError);
    expect((error as Error).message).to.equal("node n1: SSH session closed");
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("waitFor: condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
