import { dirname } from "node:path";
import { quoteArgv, quoteWord } from "../../transport/shell-quote.ts";
import type { Shell } from "../../transport/shell.ts";
import type { HostResult } from "../host-exec.ts";
import type { LabHost, SshdChannel } from "../namespace-lab/lab-host.ts";

/** A Vagrant machine as a LabHost (for probeCapabilities): argv and files as root over its SSH session. */
export class VagrantHost implements LabHost {
  readonly description: string;

  constructor(private readonly shell: Shell) {
    this.description = `vagrant machine ${shell.node}`;
  }

  async run(argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<HostResult> {
    const result = await this.shell.exec(quoteArgv(argv), { timeoutMs: options.timeoutMs ?? 30_000 });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? (result.timedOut ? 124 : 128) };
  }

  async writeFile(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
    const data = Buffer.from(content).toString("base64");
    const result = await this.shell.exec(`mkdir -p ${quoteWord(dirname(path))} && printf %s ${quoteWord(data)} | base64 -d > ${quoteWord(path)} && chmod ${mode.toString(8)} ${quoteWord(path)}`);
    if (result.failed) throw new Error(`${this.description}: cannot write ${path}: ${result.stderr.trim()}`);
  }

  openSshd(): Promise<SshdChannel> {
    return Promise.reject(new Error(`${this.description}: nested sshd is not used by the vagrant provider`));
  }
}
