import { dirname } from "node:path";
import { quoteArgv, quoteWord } from "../../transport/shell-quote.ts";
import type { HostResult } from "../host-exec.ts";
import type { LabHost, SshdChannel } from "../namespace-lab/lab-host.ts";
import type { UmlMachine } from "./uml-machine.ts";

/** A booted UML kernel as the place where a namespace lab is built: argv and files over SSH to root inside. */
export class UmlHost implements LabHost {
  readonly description: string;

  constructor(private readonly machine: UmlMachine) {
    this.description = `UML kernel ${machine.name}`;
  }

  async run(argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<HostResult> {
    const result = await this.machine.shell.exec(quoteArgv(argv), { timeoutMs: options.timeoutMs ?? 30_000 });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? (result.timedOut ? 124 : 128) };
  }

  async writeFile(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
    const data = Buffer.from(content).toString("base64");
    const script = `mkdir -p ${quoteWord(dirname(path))} && printf %s ${quoteWord(data)} | base64 -d > ${quoteWord(path)} && chmod ${mode.toString(8)} ${quoteWord(path)}`;
    const result = await this.machine.shell.exec(script, { timeoutMs: 30_000 });
    if (result.failed) throw new Error(`${this.description}: cannot write ${path}: ${result.stderr.trim()}`);
  }

  openSshd(argv: readonly string[]): Promise<SshdChannel> {
    return this.machine.shell.openStream(quoteArgv(argv));
  }
}
