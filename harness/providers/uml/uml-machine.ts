import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { InfrastructureError } from "../../model/errors.ts";
import type { SshSession } from "../../transport/ssh-session.ts";
import { killGroupAndWait } from "./process-group.ts";
import { removePidFile } from "./stray.ts";
import type { TailBuffer } from "./tail-buffer.ts";

/** A booted UML kernel with an SSH session to root inside it. */
export interface UmlMachine extends AsyncDisposable {
  readonly name: string;
  /** SSH to root inside UML (over the con1 console). */
  readonly shell: SshSession;
  /** Host pid of the UML kernel; also its process group id. */
  readonly pid: number;
  /** `uname -r` inside (not the host's). */
  readonly kernelVersion: string;
  readonly stateDir: string;
  /** Spawn to first successful exec, including the state files and the shim. */
  readonly bootMs: number;
  /** The kernel console (boot log, init's messages, sshd -e errors), bounded. */
  consoleLog(): string;
  /** Powers off (briefly), then kills the whole process group and waits until none of it is left. Idempotent. */
  stop(): Promise<void>;
}

/** How long stop() gives a clean poweroff before it SIGKILLs. */
const POWEROFF_GRACE_MS = 1500;

export class UmlMachineImpl implements UmlMachine {
  readonly name: string;
  readonly shell: SshSession;
  readonly pid: number;
  readonly kernelVersion: string;
  readonly stateDir: string;
  readonly bootMs: number;
  private readonly child: ChildProcess;
  private readonly sock: Socket;
  private readonly log: TailBuffer;
  private readonly exited: Promise<void>;
  private stopping?: Promise<void>;
  /** Last resort if the harness exits without stop(): the UML is detached and would outlive us. */
  private readonly onExit = () => {
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };

  constructor(parts: {
    name: string;
    stateDir: string;
    child: ChildProcess;
    sock: Socket;
    shell: SshSession;
    log: TailBuffer;
    kernelVersion: string;
    bootMs: number;
  }) {
    this.name = parts.name;
    this.stateDir = parts.stateDir;
    this.child = parts.child;
    this.pid = parts.child.pid!;
    this.sock = parts.sock;
    this.shell = parts.shell;
    this.log = parts.log;
    this.kernelVersion = parts.kernelVersion;
    this.bootMs = parts.bootMs;
    this.exited = new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once("exit", () => resolve());
    });
    process.once("exit", this.onExit);
  }

  consoleLog(): string {
    return this.log.toString();
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  private async doStop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      // sysrq "o" powers off at once; the exec never answers (the connection dies with the kernel).
      this.shell.exec("echo o > /proc/sysrq-trigger", { timeoutMs: POWEROFF_GRACE_MS }).catch(() => {});
      await Promise.race([this.exited, sleep(POWEROFF_GRACE_MS)]);
    }
    const left = await killGroupAndWait(this.pid);
    // Only now: the harness may die while we stop (an error in a finally), and the hook must still fire.
    if (left.length === 0) process.off("exit", this.onExit);
    this.sock.destroy();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) stream?.destroy();
    await this.shell.close();
    if (left.length > 0) throw new InfrastructureError(`UML ${this.name}: processes ${left.join(", ")} survived SIGKILL`);
    await removePidFile(this.stateDir);
  }
}
