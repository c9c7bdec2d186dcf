import { CommandError } from "../../transport/command-error.ts";
import type { ExecOptions, Shell, ShellResult } from "../../transport/shell.ts";
import { quoteWord } from "../../transport/shell-quote.ts";

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A Vagrant guest logs in as `vagrant`: every command runs as root through `sudo -n` (never
 * prompts), with LC_ALL=C, under `timeout` so a command the harness gave up on is killed in the guest
 * too (a box's sshd does not accept the harness's kill marker). Results carry the scenario's command.
 */
export class SudoShell implements Shell {
  readonly node: string;

  constructor(private readonly inner: Shell) {
    this.node = inner.node;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const result = { ...(await this.inner.exec(wrapForRoot(command, timeoutMs), { timeoutMs })), command };
    if (options.reject && result.failed) throw new CommandError(result, { timeoutMs });
    return result;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export function wrapForRoot(command: string, timeoutMs: number): string {
  const seconds = Math.ceil(timeoutMs / 1000) + 2;
  return `sudo -n env LC_ALL=C timeout -s KILL ${seconds} sh -c ${quoteWord(command)}`;
}
