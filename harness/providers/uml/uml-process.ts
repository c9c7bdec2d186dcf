import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { BoundedOutput } from "../../transport/bounded-output.ts";
import type { Shell } from "../../transport/shell.ts";
import { killGroupAndWait } from "./process-group.ts";
import { type GroupWatchdog, startGroupWatchdog } from "./watchdog.ts";

/** A spawned UML kernel process and the host ends of its consoles. */
export interface UmlProcess {
  readonly child: ChildProcess;
  /** Undefined when the spawn itself failed (see exitStatus). */
  readonly pid: number | undefined;
  /** con1: the SSH byte stream. */
  readonly sock: Socket;
  /** con0 (kernel console, init and sshd -e messages) plus UML's own stderr, bounded. */
  readonly log: BoundedOutput;
  /** Resolves when the kernel process has exited (or could not start). */
  readonly exited: Promise<void>;
  /** How it ended, for error messages; undefined while running. */
  exitStatus(): string | undefined;
}

/** The console log's tail kept for error messages: a chatty console cannot grow without bound. */
const CONSOLE_LOG_BYTES = 65_536;
/** How long a clean poweroff may take before we SIGKILL. */
const POWEROFF_GRACE_MS = 1500;

/** Spawns UML in its own process group (one signal reaches the kernel and all its helpers). */
export function spawnUml(
  kernel: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): UmlProcess & { watchdog?: GroupWatchdog } {
  const child = spawn(kernel, args, { detached: true, stdio: ["pipe", "pipe", "pipe", "pipe"], env });
  const log = BoundedOutput.tailOnly(CONSOLE_LOG_BYTES);
  child.stdout?.on("data", (chunk: Buffer) => log.append(chunk));
  child.stderr?.on("data", (chunk: Buffer) => log.append(chunk));
  const sock = child.stdio[3] as Socket;
  // Stream errors only ever mean "UML went away", which exit/close report better.
  for (const stream of [child.stdin, child.stdout, child.stderr, sock]) stream?.on("error", () => {});
  let status: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("error", (error) => {
      status ??= `could not start ${kernel}: ${error.message}`;
      resolve();
    });
    child.once("exit", (code, signal) => {
      status ??= signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
    });
  });
  return {
    child,
    pid: child.pid,
    sock,
    log,
    exited,
    exitStatus: () => status,
    ...(child.pid !== undefined ? { watchdog: startGroupWatchdog(child.pid) } : {}),
  };
}

/**
 * Ends a UML: a clean poweroff over SSH first when there is a session (quick, and UML then reaps
 * its own helpers), then SIGKILL to the whole group until nothing of it is left. Returns the pids
 * that survived (empty on success).
 */
export async function shutdownUml(proc: UmlProcess, shell?: Shell): Promise<number[]> {
  if (proc.pid === undefined) return [];
  if (shell && proc.exitStatus() === undefined) {
    // sysrq "o" powers off at once; the exec never answers (the connection dies with the kernel).
    shell.exec("echo o > /proc/sysrq-trigger", { timeoutMs: POWEROFF_GRACE_MS }).catch(() => {});
    await Promise.race([proc.exited, sleep(POWEROFF_GRACE_MS)]);
  }
  const left = await killGroupAndWait(proc.pid);
  proc.sock.destroy();
  for (const stream of [proc.child.stdin, proc.child.stdout, proc.child.stderr]) stream?.destroy();
  return left;
}
