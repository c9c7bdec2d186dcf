import { execFile } from "node:child_process";

export interface HostResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/**
 * Runs a program on the host with an argv array (never through a shell, so no value from a lab file
 * can be read as shell). Providers use it to build labs; lab commands themselves go over SSH.
 */
export function hostExec(
  argv: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<HostResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error("hostExec needs a program");
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as NodeJS.ErrnoException).code === "number"
            ? Number((error as NodeJS.ErrnoException).code)
            : 127
          : 0;
        resolve({
          stdout: String(stdout),
          stderr: String(stderr) || (error && !stderr ? error.message : ""),
          exitCode: code,
        });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
