import type { Container } from "dockerode";
import { InfrastructureError } from "../../model/errors.ts";
import { BoundedOutput, OUTPUT_KILL_FACTOR, outputCapFromEnv } from "../../transport/bounded-output.ts";
import { CommandError } from "../../transport/command-error.ts";
import { EXEC_ID_ENV, killByExecIdCommand, newExecId } from "../../transport/remote-kill.ts";
import type { ExecOptions, InteractiveShell, ShellResult, TerminalIo } from "../../transport/shell.ts";

const DEFAULT_TIMEOUT_MS = 30_000;
/** How long a kill (a second exec) may take before the result is given up on. */
const KILL_TIMEOUT_MS = 5_000;
/** Past its deadline, how long the exec's stream may take to end before the harness stops reading it. */
const STREAM_GRACE_MS = 10_000;

/** Where `demuxStream` writes a frame's payload: synchronously, so nothing is still in flight at 'end'. */
interface Sink {
  write(chunk: Buffer): boolean;
}

/**
 * A node's shell through the engine's exec API (dockerode, from testcontainers' runtime client). Not
 * testcontainers' own `exec`: it keeps every byte unbounded, has no deadline, and in 11.x can return
 * before the last frames arrive under load. Here each frame lands in a bounded buffer as it is
 * demultiplexed, the result waits for the stream's end, and a command past its deadline or far past
 * the output cap is killed by the marker in its environment, from a second exec (as over SSH).
 */
export class ExecShell implements InteractiveShell {
  private readonly outputCapBytes: number;

  constructor(
    readonly node: string,
    private readonly container: Container,
    options: { outputCapBytes?: number } = {},
  ) {
    this.outputCapBytes = options.outputCapBytes ?? outputCapFromEnv();
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const result = await this.run(command, timeoutMs);
    if (options.reject && result.failed) throw new CommandError(result, { timeoutMs });
    return result;
  }

  /**
   * A shell on the node for a person (`macvlab ssh`): an exec with a terminal when stdin is one (raw
   * mode, the window's size), plain pipes otherwise; resolves with the shell's exit code.
   */
  async interactive(io: TerminalIo): Promise<number> {
    const tty = io.stdin.isTTY === true;
    const exec = await this.container.exec({
      Cmd: ["sh", "-c", "command -v bash >/dev/null && exec bash -l || exec sh -l"],
      Env: [`TERM=${process.env.TERM ?? "xterm"}`],
      Tty: tty,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: true, Tty: tty });
    const resize = () => exec.resize({ h: io.stdout.rows ?? 24, w: io.stdout.columns ?? 80 }).catch(() => {});
    if (tty) {
      io.stdin.setRawMode(true);
      await resize();
      io.stdout.on("resize", resize);
      stream.pipe(io.stdout, { end: false });
    } else this.container.modem.demuxStream(stream, io.stdout, io.stdout);
    io.stdin.pipe(stream);
    await new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", () => resolve());
    });
    io.stdin.unpipe(stream);
    if (tty) io.stdin.setRawMode(false);
    io.stdin.pause();
    io.stdout.off("resize", resize);
    return (await exec.inspect()).ExitCode ?? 1;
  }

  /** Nothing to close: every command is its own exec. */
  async close(): Promise<void> {}

  private async run(command: string, timeoutMs: number): Promise<ShellResult> {
    const execId = newExecId();
    const started = performance.now();
    const stdout = BoundedOutput.headAndTail(this.outputCapBytes);
    const stderr = BoundedOutput.headAndTail(this.outputCapBytes);
    const killBeyondBytes = this.outputCapBytes * OUTPUT_KILL_FACTOR;
    let timedOut = false;
    let killedForOutput = false;
    let killing: Promise<void> | undefined;
    let exec: Awaited<ReturnType<Container["exec"]>>;
    let stream: NodeJS.ReadWriteStream;
    try {
      exec = await this.container.exec({
        Cmd: ["sh", "-c", command],
        Env: [`${EXEC_ID_ENV}=${execId}`],
        AttachStdout: true,
        AttachStderr: true,
      });
      stream = await exec.start({ hijack: true, stdin: false });
    } catch (error) {
      throw new InfrastructureError(
        `node ${this.node}: cannot start command (${(error as Error).message}): ${command}`,
        { cause: error },
      );
    }
    const kill = () => {
      killing ??= this.killByMarker(execId);
    };
    const sink = (into: BoundedOutput): Sink => ({
      write: (chunk) => {
        if (killedForOutput || timedOut) return true; // beyond the kill threshold: dropped unread
        into.append(chunk);
        if (stdout.totalBytes + stderr.totalBytes > killBeyondBytes) {
          killedForOutput = true;
          kill();
        }
        return true;
      },
    });
    this.container.modem.demuxStream(
      stream,
      sink(stdout) as NodeJS.WritableStream,
      sink(stderr) as NodeJS.WritableStream,
    );
    let deadline: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;
    const ended = await new Promise<boolean>((resolve) => {
      stream.on("end", () => resolve(true));
      stream.on("close", () => resolve(true));
      stream.on("error", () => resolve(false));
      deadline = setTimeout(() => {
        timedOut = true;
        kill();
        grace = setTimeout(() => resolve(false), STREAM_GRACE_MS);
      }, timeoutMs);
    });
    clearTimeout(deadline);
    clearTimeout(grace);
    const durationMs = Math.round(performance.now() - started);
    if (!ended) (stream as unknown as { destroy?: () => void }).destroy?.();
    await killing;
    let exitCode: number | undefined;
    if (!timedOut && !killedForOutput) {
      const info = await exec.inspect().catch((error: Error) => {
        throw new InfrastructureError(
          `node ${this.node}: lost the command's exit status (${error.message}): ${command}`,
        );
      });
      if (info.Running)
        throw new InfrastructureError(
          `node ${this.node}: the exec stream ended while the command still ran: ${command}`,
        );
      exitCode = info.ExitCode ?? undefined;
    }
    return {
      node: this.node,
      command,
      stdout: stdout.text(),
      stderr: stderr.text(),
      // The exec API has no signal field: `sh -c` reports a command killed by signal N as 128+N.
      exitCode,
      durationMs,
      timedOut,
      truncated: stdout.truncated || stderr.truncated,
      killedForOutput,
      failed: timedOut || killedForOutput || exitCode !== 0,
    };
  }

  /** Best effort, bounded: SIGKILL every process of the command, found by the marker in its environment. */
  private async killByMarker(execId: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, KILL_TIMEOUT_MS)));
    const killer = (async () => {
      const exec = await this.container.exec({ Cmd: ["sh", "-c", killByExecIdCommand(execId)] });
      await exec.start({ Detach: true });
      // Detached: wait until it has run, so the caller's result reflects a dead command.
      for (let i = 0; i < 50; i++) {
        if (!(await exec.inspect()).Running) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    })().catch(() => undefined);
    await Promise.race([killer, giveUp]);
    clearTimeout(timer);
  }
}
