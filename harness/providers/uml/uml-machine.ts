import { InfrastructureError } from "../../model/errors.ts";
import type { SshSession } from "../../transport/ssh-session.ts";
import { removePidFile } from "./stray.ts";
import { shutdownUml, type UmlProcess } from "./uml-process.ts";
import type { GroupWatchdog } from "./watchdog.ts";

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
  /** From the bootUml call to the first successful exec (state files and shim included). */
  readonly bootMs: number;
  /** Resolves when the kernel process has exited, whoever ended it. */
  readonly exited: Promise<void>;
  /** The kernel console (boot log, init's messages, sshd -e errors), bounded. */
  consoleLog(): string;
  /** Powers off (briefly), then kills the whole process group and waits until none of it is left. Idempotent. */
  stop(): Promise<void>;
}

export class UmlMachineImpl implements UmlMachine {
  readonly name: string;
  readonly shell: SshSession;
  readonly pid: number;
  readonly kernelVersion: string;
  readonly stateDir: string;
  readonly bootMs: number;
  private readonly proc: UmlProcess;
  private readonly watchdog: GroupWatchdog;
  private stopping?: Promise<void>;

  constructor(parts: {
    name: string;
    stateDir: string;
    proc: UmlProcess;
    pid: number;
    shell: SshSession;
    watchdog: GroupWatchdog;
    kernelVersion: string;
    bootMs: number;
  }) {
    this.name = parts.name;
    this.stateDir = parts.stateDir;
    this.proc = parts.proc;
    this.pid = parts.pid;
    this.shell = parts.shell;
    this.watchdog = parts.watchdog;
    this.kernelVersion = parts.kernelVersion;
    this.bootMs = parts.bootMs;
  }

  get exited(): Promise<void> {
    return this.proc.exited;
  }

  consoleLog(): string {
    return this.proc.log.toString();
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  private async doStop(): Promise<void> {
    const left = await shutdownUml(this.proc, this.shell);
    await this.shell.close();
    if (left.length > 0)
      throw new InfrastructureError(`UML ${this.name}: processes ${left.join(", ")} survived SIGKILL`);
    // Only now: the harness may die while we stop (say, an error thrown in a finally), and then
    // the watchdog must still fire.
    this.watchdog.disarm();
    await removePidFile(this.stateDir);
  }
}
