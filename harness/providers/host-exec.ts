import { spawn } from "node:child_process";
import { constants } from "node:os";
import { BoundedOutput, OUTPUT_CAP_ENV, OUTPUT_KILL_FACTOR, outputCapFromEnv } from "../transport/bounded-output.ts";

export interface HostResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface HostExecOptions {
  /** SIGKILL and exit code 124 (as timeout(1)) after this long. @default 30000 */
  readonly timeoutMs?: number;
  readonly input?: string;
  /** Bytes kept of stdout and of stderr (head and tail); past 4× that the program is killed. @default MACVLAB_OUTPUT_CAP_BYTES */
  readonly outputCapBytes?: number;
}

/**
 * Runs a program on the host with an argv array (never through a shell, so no value from a lab file
 * can be read as shell). Providers use it to build labs; lab commands themselves go over SSH.
 * Never throws for a failure of the program: a spawn error is exit code 127 with the reason on stderr.
 */
export function hostExec(argv: readonly string[], options: HostExecOptions = {}): Promise<HostResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error("hostExec needs a program");
  const cap = options.outputCapBytes ?? outputCapFromEnv();
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve) => {
    const stdout = BoundedOutput.headAndTail(cap);
    const stderr = BoundedOutput.headAndTail(cap);
    let stopped: { why: string; exitCode: number } | undefined;
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    const stop = (why: string, exitCode: number) => {
      if (stopped) return;
      stopped = { why, exitCode };
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => stop(`macvlab: killed after ${timeoutMs} ms (timeout)`, 124), timeoutMs);
    const collect = (into: BoundedOutput) => (chunk: Buffer) => {
      if (stopped) return;
      into.append(chunk);
      if (stdout.totalBytes + stderr.totalBytes > cap * OUTPUT_KILL_FACTOR)
        stop(`macvlab: killed: its output went past ${OUTPUT_KILL_FACTOR}× the output cap (${OUTPUT_CAP_ENV})`, 137);
    };
    child.stdout.on("data", collect(stdout));
    child.stderr.on("data", collect(stderr));
    child.stdin.on("error", () => {}); // a program that exits without reading its input
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ stdout: "", stderr: error.message, exitCode: 127 });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const said = stderr.text();
      resolve({
        stdout: stdout.text(),
        stderr: stopped ? `${said}${said && !said.endsWith("\n") ? "\n" : ""}${stopped.why}\n` : said,
        exitCode: stopped?.exitCode ?? code ?? 128 + (signal ? constants.signals[signal] : 0),
      });
    });
    child.stdin.end(options.input);
  });
}
