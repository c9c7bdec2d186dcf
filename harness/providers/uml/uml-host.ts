import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { quoteArgv } from "../../transport/shell-quote.ts";
import type { SshSession } from "../../transport/ssh-session.ts";
import type { HostResult } from "../host-exec.ts";
import { writeHostFile, writeHostFiles } from "../host-files.ts";
import type { FileToWrite, LabHost, WriteFileOptions } from "../namespace-lab/lab-host.ts";
import { ShellHost } from "../namespace-lab/shell-host.ts";
import { MAX_CONSOLE_COMMAND_BYTES } from "./console-limit.ts";

/** A session to root inside a UML kernel: the kernel's console, or an attach through its keeper. */
export interface UmlConsole {
  readonly name: string;
  readonly shell: SshSession;
  /** The kernel's state dir on this machine (hostfs: the same path inside). */
  readonly stateDir: string;
}

/**
 * A booted UML kernel as the place where a namespace lab is built: argv over SSH to root inside.
 * The kernel's root filesystem is this machine's (hostfs), so files are written from here, and a
 * longer command goes as a script file beside the kernel's state: no round trip, and nothing long
 * crosses the console.
 */
class UmlHost extends ShellHost {
  constructor(private readonly machine: UmlConsole) {
    // Each node's sshd is a nested channel of the one SSH session into the kernel.
    super(machine.shell, `UML kernel ${machine.name}`, (argv) => machine.shell.openStream(quoteArgv(argv)));
  }

  override async run(argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<HostResult> {
    const command = quoteArgv(argv);
    if (Buffer.byteLength(command) <= MAX_CONSOLE_COMMAND_BYTES) return super.run(argv, options);
    const script = join(this.machine.stateDir, `command-${randomBytes(6).toString("hex")}.sh`);
    await writeHostFile(script, `exec ${command}\n`, { mode: 0o600 });
    try {
      return await super.run(["sh", script], options);
    } finally {
      await rm(script, { force: true });
    }
  }

  override writeFile(path: string, content: string | Buffer, options: WriteFileOptions = {}): Promise<void> {
    return writeHostFile(path, content, options);
  }

  override writeFiles(files: readonly FileToWrite[]): Promise<void> {
    return writeHostFiles(files);
  }
}

export function umlHost(machine: UmlConsole): LabHost {
  return new UmlHost(machine);
}
