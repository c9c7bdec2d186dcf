import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { InfrastructureError } from "../../model/errors.ts";
import { SERVER_SESSIONS_PER_CHANNEL, SshSession } from "../../transport/ssh-session.ts";
import { MAX_CONSOLE_COMMAND_BYTES } from "./console-limit.ts";
import { consoleHint, summarizeConsole } from "./console-summary.ts";
import { DEFAULT_UML_MODULES, MODULES_FAILED_FILE } from "./init-script.ts";
import { umlKernelArgs } from "./kernel-args.ts";
import { umlKernelInfo } from "./kernel-info.ts";
import { type UmlStateFiles, writeUmlStateFiles } from "./state-files.ts";
import { killStrayUml, recordUml, removePidFile } from "./stray.ts";
import { type UmlMachine, UmlMachineImpl } from "./uml-machine.ts";
import { shutdownUml, spawnUml, type UmlProcess } from "./uml-process.ts";
import { ensureXstateShim, hostNeedsXstateShim } from "./xstate-shim.ts";

export { killStrayUml } from "./stray.ts";
export type { UmlMachine } from "./uml-machine.ts";

export const UML_KERNEL = "/usr/bin/linux";

export interface UmlBootOptions {
  /** Per-run directory (keys, init, pid file), readable and writable by this user. */
  readonly stateDir: string;
  /** Hostname inside, SSH node name and UML umid. @default "uml" */
  readonly name?: string;
  /** @default 512 (about 48 is the minimum that boots) */
  readonly memMb?: number;
  /** From spawn to a successful `echo ready` over SSH. @default 30000 */
  readonly bootTimeoutMs?: number;
  /** @default DEFAULT_UML_MODULES */
  readonly modules?: readonly string[];
  /** @default "/usr/bin/linux" */
  readonly kernel?: string;
  /** TMPDIR for UML's RAM file; must allow exec. @default UML's choice: $TMPDIR, else /dev/shm, else /tmp */
  readonly tmpDir?: string;
  /** Boot this init instead of the generated one (tests of the failure path). */
  readonly initPath?: string;
  /**
   * SSH channels the console session may hold open at once: a lab's nodes hold one each for
   * their sshd, for as long as the lab is up, and commands need the rest. The kernel's sshd is
   * told to allow twice as many (MaxSessions), since it counts a closed channel until it has
   * collected it. @default 8
   */
  readonly channels?: number;
  /** "auto": only on AMX hosts (see xstate-shim.ts). @default "auto" */
  readonly xstateShim?: "auto" | "always" | "never";
}

/**
 * Boots a User-Mode Linux kernel as an ordinary process (no root, no hypervisor) with the host
 * filesystem as its root, and returns a real SSH session to root inside it. On any failure —
 * timeout, kernel panic, early exit, SSH refused, a module missing — every process of the UML is
 * killed and the promise rejects with an InfrastructureError carrying the console log's gist.
 */
export async function bootUml(options: UmlBootOptions): Promise<UmlMachine> {
  const started = performance.now();
  const stateDir = resolve(options.stateDir);
  const name = options.name ?? "uml";
  const kernel = options.kernel ?? UML_KERNEL;
  const timeoutMs = options.bootTimeoutMs ?? 30_000;
  if (
    !(await access(kernel).then(
      () => true,
      () => false,
    ))
  )
    throw new InfrastructureError(`UML kernel ${kernel} not found (apt-get install user-mode-linux kmod)`);

  const kernelInfo = await umlKernelInfo(kernel);
  const channels = options.channels ?? 8;
  await killStrayUml(stateDir); // a crashed run's UML would still hold our umid
  const files = await writeUmlStateFiles(stateDir, {
    hostname: name,
    maxSessions: channels * SERVER_SESSIONS_PER_CHANNEL,
    modules: options.modules ?? DEFAULT_UML_MODULES,
    kernel: kernelInfo,
  });
  const env: NodeJS.ProcessEnv = { ...process.env };
  const shim = options.xstateShim ?? "auto";
  if (shim === "always" || (shim === "auto" && (await hostNeedsXstateShim())))
    env.LD_PRELOAD = [await ensureXstateShim(stateDir), env.LD_PRELOAD].filter(Boolean).join(":");
  if (options.tmpDir) env.TMPDIR = options.tmpDir;
  const initPath = options.initPath ?? files.initPath;
  const args = umlKernelArgs({ memMb: options.memMb ?? 512, initPath, umlDir: files.umlDir, umid: name });

  const proc = spawnUml(kernel, args, env);
  const connecting: { session?: SshSession } = {};
  try {
    const { pid } = proc;
    if (pid === undefined) throw new Error("spawn failed");
    await recordUml(stateDir, pid);
    const kernelVersion = await raceFailure(
      waitReady(proc, files, { name, channels }, timeoutMs, connecting),
      proc,
      timeoutMs,
    );
    const { session } = connecting;
    // waitReady resolves only once the session is up, and a spawned process always has a watchdog.
    if (!session || !proc.watchdog) throw new Error("the kernel answered without an SSH session");
    const bootMs = Math.round(performance.now() - started);
    return new UmlMachineImpl({
      name,
      stateDir,
      proc,
      pid,
      shell: session,
      watchdog: proc.watchdog,
      kernelVersion,
      bootMs,
    });
  } catch (error) {
    // The clearest reason is the kernel's own exit, when that is what happened (the SSH error
    // that came first then only says the stream closed).
    await Promise.race([proc.exited, sleep(300)]);
    const exit = proc.exitStatus();
    const reason = exit ? `UML exited during boot (${exit})` : (error as Error).message;
    const left = await shutdownUml(proc, connecting.session);
    await connecting.session?.close().catch(() => {});
    if (left.length === 0) {
      proc.watchdog?.disarm();
      await removePidFile(stateDir);
    }
    const log = proc.log.toString();
    const hint = consoleHint(log);
    throw new InfrastructureError(
      `UML ${name} failed to boot: ${reason}` +
        (hint ? `\n${hint}` : "") +
        (left.length ? `\n(processes ${left.join(", ")} survived SIGKILL)` : "") +
        `\n${summarizeConsole(log)}`,
      { cause: error },
    );
  }
}

/** SSH up, then `echo ready`; returns `uname -r` inside. */
async function waitReady(
  proc: UmlProcess,
  files: UmlStateFiles,
  { name, channels }: { name: string; channels: number },
  timeoutMs: number,
  out: { session?: SshSession },
): Promise<string> {
  // Send nothing before sshd speaks: until init has put the tty in raw mode, the line discipline
  // would echo our bytes back and mangle them. In SSH the server's banner may come first.
  await new Promise<void>((resolve) => proc.sock.once("readable", () => resolve()));
  out.session = await SshSession.connect({
    node: name,
    sock: proc.sock,
    hostKey: files.keys.hostPublicKey,
    privateKey: files.keys.clientPrivateKey,
    readyTimeoutMs: timeoutMs,
    maxChannels: channels,
    maxCommandBytes: MAX_CONSOLE_COMMAND_BYTES,
    diagnostics: () => `UML console (last lines):\n${proc.log.lastLines(15)}`,
  });
  const result = await out.session.exec(`echo ready; uname -r; cat ${MODULES_FAILED_FILE} 2>/dev/null; true`, {
    timeoutMs,
  });
  const [word, version, ...modprobeErrors] = result.stdout.trim().split("\n");
  if (word !== "ready") throw new Error(`ready check failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  if (modprobeErrors.length > 0) throw new Error(`modules failed to load:\n${modprobeErrors.join("\n")}`);
  return version ?? "unknown";
}

/** `work`, unless the kernel panics, exits or the deadline passes first. */
async function raceFailure<T>(work: Promise<T>, proc: UmlProcess, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onData: (() => void) | undefined;
  const failure = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
    void proc.exited.then(() => reject(new Error("the SSH console closed")));
    onData = () => {
      const recent = proc.log.lastLines(40);
      // Give the panic's trace a moment to arrive before we kill and report.
      if (/Kernel panic/.test(recent)) setTimeout(() => reject(new Error("kernel panic")), 300);
      // During boot an sshd that exits has failed (bad config, refused login): no need to wait it out.
      const sshd = /macvlab-init: sshd exited.*/.exec(recent);
      if (sshd) reject(new Error(sshd[0]));
    };
    proc.child.stdout?.on("data", onData);
  });
  failure.catch(() => {}); // after a successful boot, the UML's eventual exit must not count as unhandled
  try {
    return await Promise.race([work, failure]);
  } finally {
    clearTimeout(timer);
    if (onData) proc.child.stdout?.off("data", onData);
    work.catch(() => {}); // lost the race: its later failure is expected and already reported
  }
}
