import type { Duplex } from "node:stream";
import { InfrastructureError } from "../../model/errors.ts";
import type { HostResult } from "../host-exec.ts";

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
  writeFile(path: string, content: string | Buffer, mode?: number): Promise<void>;
  openSshd(argv: readonly string[]): Promise<SshdChannel>;
}

export async function mustRun(host: LabHost, argv: readonly string[]): Promise<string> {
  const result = await host.run(argv);
  if (result.exitCode !== 0)
    throw new InfrastructureError(
      `${host.description}: command failed (exit ${result.exitCode}): ${argv.join(" ")}\n${result.stderr.trim()}`,
    );
  return result.stdout;
}
