import { dirname } from "node:path";
import type { Shell } from "../../transport/shell.ts";
import { quoteArgv, quoteWord } from "../../transport/shell-quote.ts";
import type { HostResult } from "../host-exec.ts";
import type { LabHost, SshdChannel, WriteFileOptions } from "./lab-host.ts";
import { inBatches } from "./script-batches.ts";

const TIMEOUT_MS = 30_000;

/** A FileToWrite whose content may also be bytes (base64 on the way). */
interface BinaryFileToWrite {
  readonly path: string;
  readonly content: string | Buffer;
  readonly mode?: number;
}

/**
 * A machine reached only through a Shell (a UML kernel, a Vagrant guest) as a LabHost. A shell runs
 * strings, so argv is quoted word by word, and files travel inside scripts (see createFilesScript).
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
    if (!options.replace) return this.writeFiles([{ path, content, mode: options.mode }]);
    const file = quoteWord(path);
    await this.runScript(`[ -f ${file} ] && [ ! -L ${file} ] && ${writeCommand(content)} > ${file}`, [path]);
  }

  async writeFiles(files: readonly BinaryFileToWrite[]): Promise<void> {
    const cost = (f: BinaryFileToWrite) => writeCommand(f.content).length + quoteWord(f.path).length * 3 + 32;
    for (const batch of inBatches(files, cost))
      await this.runScript(
        createFilesScript(batch),
        batch.map((f) => f.path),
      );
  }

  private async runScript(script: string, paths: readonly string[]): Promise<void> {
    const result = await this.shell.exec(script, { timeoutMs: TIMEOUT_MS });
    if (!result.failed) return;
    const more = paths.length > 1 ? ` (or one of ${paths.length - 1} more files)` : "";
    throw new Error(`${this.description}: cannot write ${paths[0]}${more}: ${result.stderr.trim()}`);
  }

  openSshd(argv: readonly string[]): Promise<SshdChannel> {
    if (!this.sshd) return Promise.reject(new Error(`${this.description}: nested sshd is not used by this provider`));
    return this.sshd(argv);
  }
}

/**
 * One script that creates every file exclusively (noclobber: a file or a planted symlink already at
 * the path fails the write instead of going through it), born 0600 (umask 077) and then widened to
 * its mode, in directories made 0700 where missing. Text travels as a shell word (printf is a shell
 * builtin: no process per file, which a UML kernel makes dear); other content as base64.
 */
export function createFilesScript(files: readonly BinaryFileToWrite[]): string {
  const dirs = [...new Set(files.map((f) => dirname(f.path)))];
  const writes = files.map((f) => `${writeCommand(f.content)} > ${quoteWord(f.path)}`);
  const modes = new Map<number, string[]>();
  for (const f of files) {
    const mode = f.mode ?? 0o644;
    if (mode !== 0o600) modes.set(mode, [...(modes.get(mode) ?? []), quoteWord(f.path)]);
  }
  const chmods = [...modes].map(([mode, paths]) => `chmod ${mode.toString(8)} ${paths.join(" ")}`);
  return ["umask 077", `mkdir -p -- ${dirs.map(quoteWord).join(" ")}`, "set -C", ...writes, ...chmods].join(" && ");
}

function writeCommand(content: string | Buffer): string {
  if (typeof content === "string" && !content.includes("\0")) return `printf %s ${quoteWord(content)}`;
  return `printf %s ${quoteWord(Buffer.from(content).toString("base64"))} | base64 -d`;
}
