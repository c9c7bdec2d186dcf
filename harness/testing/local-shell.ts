import { execFile } from "node:child_process";
import type { ExecOptions, Shell, ShellResult } from "../transport/shell.ts";

/** A Shell over this machine's sh, recording what it was asked to run and with which deadline. */
export class LocalShell implements Shell {
  readonly node = "local";
  readonly calls: Array<{ command: string; timeoutMs?: number }> = [];

  exec(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    this.calls.push({ command, timeoutMs: options.timeoutMs });
    return new Promise((resolve) => {
      const settings = { timeout: options.timeoutMs, killSignal: "SIGKILL" as const };
      execFile("sh", ["-c", command], settings, (error, stdout, stderr) => {
        const exitCode = error && typeof error.code === "number" ? error.code : error ? undefined : 0;
        const signal = error?.signal ?? undefined;
        const timedOut = Boolean(error?.killed);
        const failed = exitCode !== 0;
        const result = { node: this.node, command, stdout, stderr, exitCode, signal, durationMs: 0, timedOut, failed };
        resolve({ ...result, truncated: false, killedForOutput: false });
      });
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
