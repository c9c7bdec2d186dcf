import type { Duplex } from "node:stream";
import { InfrastructureError } from "../../model/errors.ts";
import type { HostResult } from "../host-exec.ts";

export interface WriteFileOptions {
  /** Mode of a new file; it never has more bits than this, even for a moment. @default 0o644 */
  readonly mode?: number;
  readonly replace?: boolean;
}

/** One text file of a batch (see LabHost.writeFiles). */
export interface FileToWrite {
  readonly path: string;
  readonly content: string;
  /** @default 0o644 */
  readonly mode?: number;
}

/** An `sshd -i` for one node: its SSH byte stream and what it said on stderr. */
export interface SshdChannel {
  readonly sock: Duplex;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Where a namespace lab is built: this machine (netns provider) or a kernel the harness booted (uml).
 * The lab code only speaks argv and files through this, so one implementation serves both (and the
 * capability probes run through it on a Vagrant guest as well).
 */
export interface LabHost {
  readonly description: string;
  run(argv: readonly string[], options?: { timeoutMs?: number }): Promise<HostResult>;
  /**
   * Creates `path` (and missing parent directories) exclusively: a file already there, or a symlink
   * planted there, is an error. With `replace`, rewrites an existing file in place instead (same
   * inode: a bind mount of it sees the new content).
   */
  writeFile(path: string, content: string | Buffer, options?: WriteFileOptions): Promise<void>;
  /** Creates every file as `writeFile` does, in as few round trips as the host allows (a lab's keys and configs). */
  writeFiles(files: readonly FileToWrite[]): Promise<void>;
  openSshd(argv: readonly string[]): Promise<SshdChannel>;
}

/** Runs argv on `host`: its stdout, or an error naming the host and `what` (a long script is not repeated in it). */
export async function mustRun(
  host: LabHost,
  argv: readonly string[],
  options: { timeoutMs?: number; what?: string } = {},
): Promise<string> {
  const result = await host.run(argv, { timeoutMs: options.timeoutMs });
  if (result.exitCode !== 0) {
    const what = options.what
      ? `${options.what} failed (exit ${result.exitCode})`
      : `command failed (exit ${result.exitCode}): ${argv.join(" ")}`;
    throw new InfrastructureError(`${host.description}: ${what}\n${result.stderr.trim()}`);
  }
  return result.stdout;
}
