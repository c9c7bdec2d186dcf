import { dirname } from "node:path";
import type { Shell } from "../../transport/shell.ts";
import { quoteArgv, quoteWord } from "../../transport/shell-quote.ts";
import type { HostResult } from "../host-exec.ts";
import type { LabHost, SshdChannel, WriteFileOptions } from "./lab-host.ts";

const TIMEOUT_MS = 30_000;

/**
 * A machine reached only through a Shell (a UML kernel, a Vagrant guest) as a LabHost. A shell runs
 * strings, so argv is quoted word by word, and files travel as base64 (content may be binary).
 */
export class ShellHost implements LabHost {
  constructor(
    private readonly shell: Shell,
    readonly description: string,
    /** How to start a node's `sshd -i` on this machine; without it, nested sshd is refused. */
    private readonly sshd?: (argv: readonly string[]) => Promise<SshdChannel>,
  ) {}

  async run(argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<HostResult> {
    const result = await this.shell.exec(quoteArgv(argv), { timeoutMs: options.timeoutMs ?? TIMEOUT_MS });
    // HostResult has no room for "no exit code": 124 is what timeout(1) reports, 128 a death by signal.
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? (result.timedOut ? 124 : 128) };
  }

  async writeFile(path: string, content: string | Buffer, options: WriteFileOptions = {}): Promise<void> {
    const data = Buffer.from(content).toString("base64");
    const file = quoteWord(path);
    const write = `printf %s ${quoteWord(data)} | base64 -d > ${file}`;
    // umask 077: born 0600, then widened to the mode asked for. noclobber (set -C): a file or a
    // symlink already at the path makes the redirection fail instead of writing through it.
    const script = options.replace
      ? `[ -f ${file} ] && [ ! -L ${file} ] && ${write}`
      : [
          `(umask 077 && mkdir -p ${quoteWord(dirname(path))} && set -C && ${write})`,
          `chmod ${(options.mode ?? 0o644).toString(8)} ${file}`,
        ].join(" && ");
    const result = await this.shell.exec(script, { timeoutMs: TIMEOUT_MS });
    if (result.failed) throw new Error(`${this.description}: cannot write ${path}: ${result.stderr.trim()}`);
  }

  openSshd(argv: readonly string[]): Promise<SshdChannel> {
    if (!this.sshd) return Promise.reject(new Error(`${this.description}: nested sshd is not used by this provider`));
    return this.sshd(argv);
  }
}
