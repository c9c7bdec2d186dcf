/** What every provider hands out for a node: a way to run one command and get everything back. */
export interface ExecOptions {
  /** Kill the command and report `timedOut` after this long. @default 30000 */
  readonly timeoutMs?: number;
  /** Throw a CommandError when the command fails (non-zero exit, signal, timeout). @default false */
  readonly reject?: boolean;
}

/** One result shape for success and failure (execa-style). */
export interface ShellResult {
  readonly node: string;
  readonly command: string;
  readonly stdout: string;
  readonly stderr: string;
  /** Undefined when the command ended by a signal or timed out. */
  readonly exitCode?: number;
  readonly signal?: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  /**
   * stdout or stderr was longer than the output cap (MACVLAB_OUTPUT_CAP_BYTES): each shows its
   * head and tail around a "… N bytes cut …" line.
   */
  readonly truncated: boolean;
  /** Killed because its output went far past the cap (OUTPUT_KILL_FACTOR times): a runaway command. */
  readonly killedForOutput: boolean;
  /** exitCode !== 0, or a signal, or a timeout, or killed for its output. */
  readonly failed: boolean;
}

export interface Shell {
  readonly node: string;
  exec(command: string, options?: ExecOptions): Promise<ShellResult>;
  close(): Promise<void>;
}

/** The terminal an interactive shell is wired to (`macvlab ssh`). */
export interface TerminalIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
}

/** A shell that can also hand a person a login shell on the node; resolves with its exit code. */
export interface InteractiveShell extends Shell {
  interactive(io: TerminalIo): Promise<number>;
}

export function isInteractive(shell: Shell): shell is InteractiveShell {
  return typeof (shell as Partial<InteractiveShell>).interactive === "function";
}
