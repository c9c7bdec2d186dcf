import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import type { Socket } from "node:net";
import { InfrastructureError } from "../../model/errors.ts";
import { SshSession } from "../../transport/ssh-session.ts";
import { DEFAULT_UML_MODULES, MODULES_FAILED_FILE } from "./init-script.ts";
import { umlKernelArgs } from "./kernel-args.ts";
import { killGroupAndWait } from "./process-group.ts";
import { writeUmlStateFiles } from "./state-files.ts";
import { killStrayUml, removePidFile, writePidFile } from "./stray.ts";
import { TailBuffer } from "./tail-buffer.ts";
import { UmlMachineImpl, type UmlMachine } from "./uml-machine.ts";
import { ensureXstateShim, hostNeedsXstateShim } from "./xstate-shim.ts";

export type { UmlMachine } from "./uml-machine.ts";

export const UML_KERNEL = "/usr/bin/linux";

export interface UmlBootOptions {
  /** Per-run directory (keys, init, pid file). Must be readable and writable by this user. */
  readonly stateDir: string;
  /** Hostname inside, SSH node name and UML umid. @default "uml" */
  readonly name?: string;
  /** @default 512 */
  readonly memMb?: number;
  /** Spawn to `echo ready` over SSH. @default 30000 */
  readonly bootTimeoutMs?: number;
  /** @default DEFAULT_UML_MODULES */
  readonly modules?: readonly string[];
  /** @default "/usr/bin/linux" */
  readonly kernel?: string;
  /** TMPDIR for UML's RAM file; must not be mounted noexec. @default UML's choice ($TMPDIR, /dev/shm, /tmp) */
  readonly tmpDir?: string;
  /** Boot this init instead of the generated one (tests of the failure path). */
  readonly initPath?: string;
  /** "auto": only on AMX hosts (see xstate-shim.ts). @default "auto" */
  readonly xstateShim?: "auto" | "always" | "never";
}

/**
 * Boots a User-Mode Linux kernel as an ordinary process (no root, no hypervisor) with the host
 * filesystem as its root, and returns a real SSH session to root inside it. On any failure —
 * timeout, kernel panic, early exit, SSH refused — every process of the UML is killed and the
 * promise rejects with an InfrastructureError carrying the tail of the console log.
 */
export async function bootUml(options: UmlBootOptions): Promise<UmlMachine> {
  const started = performance.now();
  const stateDir = resolve(options.stateDir);
  const name = options.name ?? "uml";
  const kernel = options.kernel ?? UML_KERNEL;
  const timeoutMs = options.bootTimeoutMs ?? 30_000;
  if (!(await access(kernel).then(() => true, () => false)))
    throw new InfrastructureError(`UML kernel ${kernel} not found (apt-get install user-mode-linux kmod)`);

  const files = await writeUmlStateFiles(stateDir, { hostname: name, modules: options.modules ?? DEFAULT_UML_MODULES });
  await killStrayUml(stateDir); // a crashed run's UML would hold our umid
  const env: NodeJS.ProcessEnv = { ...process.env };
  const shim = options.xstateShim ?? "auto";
  if (shim === "always" || (shim === "auto" && (await hostNeedsXstateShim())))
    env.LD_PRELOAD = [await ensureXstateShim(stateDir), env.LD_PRELOAD].filter(Boolean).join(":");
  if (options.tmpDir) env.TMPDIR = options.tmpDir;

  const initPath = options.initPath ?? files.initPath;
  const args = umlKernelArgs({ memMb: options.memMb ?? 512, initPath, umlDir: files.umlDir, umid: name });
  // Own process group: stop() kills the kernel and all its helpers with one signal.
  const child = spawn(kernel, args, { detached: true, stdio: ["pipe", "pipe", "pipe", "pipe"], env });
  const log = new TailBuffer();
  child.stdout?.on("data", (chunk: Buffer) => log.append(chunk));
  child.stderr?.on("data", (chunk: Buffer) => log.append(chunk));
  const sock = child.stdio[3] as Socket;
  for (const stream of [child.stdin, child.stdout, child.stderr, sock]) stream?.on("error", () => {}); // reported via exit/close

  let booted = false;
  let failWith: (reason: string) => void = () => {};
  const failed = new Promise<never>((_, reject) => (failWith = (reason) => booted || reject(new Error(reason))));
  failed.catch(() => {}); // raced below; a late failure (after an earlier error) must not go unhandled
  child.once("error", (error) => failWith(`cannot start ${kernel}: ${error.message}`));
  child.once("exit", (code, signal) => failWith(`UML exited during boot (${signal ?? `code ${code}`})`));
  child.stdout?.on("data", () => {
    if (/Kernel panic/.test(log.tail(40))) setTimeout(() => failWith("kernel panic"), 300); // let the trace arrive
  });
  const timer = setTimeout(() => failWith(`not ready within ${timeoutMs} ms`), timeoutMs);

  const pid = child.pid;
  let session: SshSession | undefined;
  try {
    if (pid === undefined) await failed;
    await writePidFile(stateDir, { pid: pid!, comm: basename(kernel).slice(0, 15), marker: `uml_dir=${files.umlDir}` });
    const ready = async () => {
      // Send nothing before sshd speaks: until the init has put the tty in raw mode, the line
      // discipline would echo our bytes back and mangle them. sshd's banner comes first in SSH.
      await new Promise<void>((resolve) => sock.once("readable", () => resolve()));
      session = await SshSession.connect({
        node: name,
        sock,
        hostKey: files.keys.hostPublicKey,
        privateKey: files.keys.clientPrivateKey,
        readyTimeoutMs: timeoutMs,
        diagnostics: () => `UML console (last lines):\n${log.tail(30)}`,
      });
      const result = await session.exec(`echo ready; uname -r; cat ${MODULES_FAILED_FILE} 2>/dev/null; true`, { timeoutMs });
      const [word, version, ...modprobeErrors] = result.stdout.trim().split("\n");
      if (word !== "ready") throw new Error(`ready check failed: ${JSON.stringify(result)}`);
      if (modprobeErrors.length > 0) throw new Error(`modules failed to load:\n${modprobeErrors.join("\n")}`);
      return version ?? "unknown";
    };
    const kernelVersion = await Promise.race([ready(), failed]);
    clearTimeout(timer);
    booted = true;
    return new UmlMachineImpl({ name, stateDir, child, sock, shell: session!, log, kernelVersion, bootMs: Math.round(performance.now() - started) });
  } catch (error) {
    clearTimeout(timer);
    const left = pid === undefined ? [] : await killGroupAndWait(pid);
    sock.destroy();
    await session?.close().catch(() => {});
    if (left.length === 0) await removePidFile(stateDir);
    const tail = log.tail(60);
    throw new InfrastructureError(
      `UML ${name} failed to boot: ${(error as Error).message}${hint(tail)}` +
        (left.length ? `\n(processes ${left.join(", ")} survived SIGKILL)` : "") +
        `\n--- UML console (last lines) ---\n${tail}`,
      { cause: error },
    );
  }
}

/** Known console messages and what to do about them. */
function hint(log: string): string {
  if (/ptrace set fp regs failed/.test(log)) return " (host xstate larger than UML's buffer: boot with xstateShim: \"always\")";
  if (/noexec/.test(log)) return " (UML's RAM file directory is mounted noexec: pass tmpDir on an exec-able filesystem)";
  return "";
}

