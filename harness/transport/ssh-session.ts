import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { Client, type ClientChannel } from "ssh2";
import { ConnectionLostError, InfrastructureError } from "../model/errors.ts";
import { BoundedOutput, OUTPUT_KILL_FACTOR, outputCapFromEnv } from "./bounded-output.ts";
import { CommandError } from "./command-error.ts";
import { EXEC_ID_ENV, killByExecIdCommand, newExecId } from "./remote-kill.ts";
import type { ExecOptions, Shell, ShellResult } from "./shell.ts";

export interface SshSessionOptions {
  /** Node name, used in every error message. */
  readonly node: string;
  /** The SSH byte stream (e.g. from spawnSshdInetd). The session owns it from now on. */
  readonly sock: Duplex;
  /** The server's raw public key blob (LabKeys.hostPublicKey); any other key is refused. */
  readonly hostKey: Buffer;
  /** OpenSSH-format client private key. */
  readonly privateKey: Buffer;
  /** @default "root" */
  readonly username?: string;
  /** @default 10000 */
  readonly readyTimeoutMs?: number;
  /** Send SSH keepalives this often; three unanswered ones end the connection. @default off */
  readonly keepaliveIntervalMs?: number;
  /**
   * Channels open at once; more exec calls wait. sshd refuses channels beyond its MaxSessions, and
   * counts a closed one until it has collected it: when commands end together, every one of them may
   * still count while their successors open. The server must allow twice this
   * (SERVER_SESSIONS_PER_CHANNEL). @default DEFAULT_MAX_CHANNELS
   */
  readonly maxChannels?: number;
  /**
   * How long an exec, stream or shell may wait for a free channel (an exec waits at least its own
   * timeout), and how long the server may take to open one. Past it the call fails and says what
   * holds the channels, instead of waiting forever. @default 30000
   */
  readonly channelWaitMs?: number;
  /**
   * Bytes of stdout and of stderr kept per command (head and tail, see BoundedOutput); a command
   * whose output passes OUTPUT_KILL_FACTOR times this is killed. @default MACVLAB_OUTPUT_CAP_BYTES, else 4 MiB
   */
  readonly outputCapBytes?: number;
  /** Extra text for connection errors, e.g. sshd's stderr. Read when the error is made. */
  readonly diagnostics?: () => string;
  /**
   * The longest command this connection can carry: a longer one is refused, naming the limit, instead
   * of being sent (a UML console stalls for good on one). @default no limit
   */
  readonly maxCommandBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_CHANNEL_WAIT_MS = 30_000;
/** Channels a session opens at once unless told otherwise. */
export const DEFAULT_MAX_CHANNELS = 8;
/**
 * MaxSessions per client channel. sshd frees a closed channel's session only when it collects it,
 * after it has read what came with the close: a burst of commands that end together and the next
 * ones opening behind them can hold a closed session for every open channel (seen here: with 8
 * channels against MaxSessions 10, 20 short commands at once were refused a channel under load).
 */
export const SERVER_SESSIONS_PER_CHANNEL = 2;
/** Of a long-running stream's stderr (a nested sshd's log), the tail kept for diagnostics. */
const STREAM_STDERR_BYTES = 16_384;

/** A long-running remote command's stdin/stdout as one stream (see SshSession.openStream). */
export interface RemoteStream {
  readonly sock: Duplex;
  stderr(): string;
  stop(): Promise<void>;
}
/**
 * After the socket ended or errored, how long to wait for its 'close' before declaring the
 * connection gone. 'close' is preferred because by then sshd's stderr has been fully read.
 */
const GONE_GRACE_MS = 1000;
/** How long the kill of a timed-out command may delay its result. */
const KILL_TIMEOUT_MS = 1000;
/** A timed-out channel keeps its slot until the server confirms the close, but no longer than this. */
const TIMED_OUT_SLOT_GRACE_MS = 5000;
/** close(): how long to wait for a polite disconnect before cutting the stream. */
const CLOSE_GRACE_MS = 2000;

type Release = () => void;

/**
 * The one SSH client for every provider: runs commands on one node over one SSH connection.
 * Once the connection is gone (server died, stream closed, close() called) every pending and
 * future exec rejects with an InfrastructureError naming the node — nothing waits forever.
 */
export class SshSession implements Shell {
  readonly node: string;
  private readonly client = new Client();
  private readonly options: SshSessionOptions;
  private readonly maxChannels: number;
  private readonly channelWaitMs: number;
  private readonly outputCapBytes: number;

  private openChannels = 0;
  /** Channels held by openStream: they never free themselves, so a wait for a slot names them. */
  private openStreams = 0;
  private readonly waiting: Array<{ resolve: (release: Release) => void; reject: (error: Error) => void }> = [];
  /** Fails one in-flight command; used when the connection goes away under it. */
  private readonly running = new Set<(error: Error) => void>();

  private ready = false;
  private onConnectSettled?: (error?: Error) => void;
  private hostKeyProblem?: string;
  private firstError?: Error;
  private goneTimer?: NodeJS.Timeout;
  private sockClosed = false;
  /** Set once the connection can no longer be used; every exec from then on rejects with it. */
  private goneError?: ConnectionLostError;
  private closing?: Promise<void>;

  private constructor(options: SshSessionOptions) {
    this.node = options.node;
    this.options = options;
    this.maxChannels = Math.max(1, options.maxChannels ?? DEFAULT_MAX_CHANNELS);
    this.channelWaitMs = options.channelWaitMs ?? DEFAULT_CHANNEL_WAIT_MS;
    this.outputCapBytes = options.outputCapBytes ?? outputCapFromEnv();
  }

  /** Handshakes and authenticates over `options.sock`. Rejects with an InfrastructureError. */
  static async connect(options: SshSessionOptions): Promise<SshSession> {
    const session = new SshSession(options);
    await session.handshake();
    return session;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    this.refuseTooLong(command);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const result = await this.run(command, timeoutMs, true, Math.max(timeoutMs, this.channelWaitMs));
    if (options.reject && result.failed) throw new CommandError(result, { timeoutMs });
    return result;
  }

  /**
   * Starts a long-running command and hands back its channel as a byte stream (stdin/stdout), e.g.
   * an `sshd -i` deeper inside the machine, to be the `sock` of a nested SshSession. The channel
   * holds one slot until `stop()` or until it closes.
   */
  async openStream(command: string): Promise<RemoteStream> {
    this.refuseTooLong(command);
    const release = await this.acquireChannel(`a stream (${command})`, this.channelWaitMs);
    return new Promise<RemoteStream>((resolve, reject) => {
      const stderr = BoundedOutput.tailOnly(STREAM_STDERR_BYTES);
      let answered = false;
      const cannotStart = (reason: string, cause?: unknown) => {
        release();
        reject(
          this.goneError ??
            new InfrastructureError(`node ${this.node}: cannot start ${command} (${reason})`, { cause }),
        );
      };
      const deadline = setTimeout(() => {
        answered = true;
        cannotStart(`the server did not open a channel within ${seconds(this.channelWaitMs)}`);
      }, this.channelWaitMs);
      try {
        this.client.exec(command, (error, channel) => {
          clearTimeout(deadline);
          if (answered) {
            // Too late: we already gave up on this channel and freed its slot.
            channel?.close();
            return;
          }
          answered = true;
          if (error) return cannotStart(error.message, error);
          this.openStreams++;
          channel.stderr.on("data", (chunk: Buffer) => stderr.append(chunk));
          channel.on("error", () => {});
          const closed = new Promise<void>((done) =>
            channel.once("close", () => {
              streamGone();
              done();
            }),
          );
          let gone = false;
          const streamGone = () => {
            if (gone) return;
            gone = true;
            this.openStreams--;
            release();
          };
          resolve({
            sock: channel,
            stderr: () => stderr.text(),
            stop: async () => {
              channel.close();
              await Promise.race([closed, new Promise((done) => setTimeout(done, CLOSE_GRACE_MS).unref())]);
              streamGone();
            },
          });
        });
      } catch (error) {
        clearTimeout(deadline);
        answered = true;
        cannotStart((error as Error).message, error);
      }
    });
  }

  /**
   * A login shell (`macvlab ssh`); resolves when it ends, with its exit code. As OpenSSH's client does,
   * a pseudo-terminal only when stdin is a terminal: otherwise the shell reads commands from stdin and
   * ends at its end (`macvlab ssh node2 -l lab < script`), where a pty would keep it waiting forever.
   */
  async interactive(io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream }): Promise<number> {
    const release = await this.acquireChannel("an interactive shell", this.channelWaitMs);
    return new Promise<number>((resolve, reject) => {
      const window = io.stdin.isTTY
        ? { term: process.env.TERM ?? "xterm", rows: io.stdout.rows ?? 24, cols: io.stdout.columns ?? 80 }
        : false;
      this.client.shell(window, (error, channel) => {
        if (error) {
          release();
          return reject(new InfrastructureError(`node ${this.node}: cannot open a shell (${error.message})`));
        }
        const raw = io.stdin.isTTY;
        if (raw) io.stdin.setRawMode(true);
        io.stdin.pipe(channel);
        channel.pipe(io.stdout);
        channel.stderr.pipe(io.stdout);
        const resize = () => channel.setWindow(io.stdout.rows ?? 24, io.stdout.columns ?? 80, 0, 0);
        io.stdout.on("resize", resize);
        let code = 0;
        channel.on("exit", (c: number | null) => {
          code = c ?? 1;
        });
        channel.on("close", () => {
          io.stdin.unpipe(channel);
          if (raw) io.stdin.setRawMode(false);
          io.stdin.pause();
          io.stdout.off("resize", resize);
          release();
          resolve(code);
        });
      });
    });
  }

  /** Disconnects; pending commands reject. Idempotent: later calls return the same promise. */
  private refuseTooLong(command: string): void {
    const max = this.options.maxCommandBytes;
    const bytes = Buffer.byteLength(command);
    if (max !== undefined && bytes > max)
      throw new InfrastructureError(
        `node ${this.node}: a command of ${bytes} bytes is longer than this connection carries (${max}): write a script file and run that instead`,
      );
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.markGone(new ConnectionLostError(`node ${this.node}: SSH session closed`));
      if (this.sockClosed) return resolve();
      const timer = setTimeout(() => {
        this.options.sock.destroy();
        resolve();
      }, CLOSE_GRACE_MS);
      this.client.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
    return this.closing;
  }

  private handshake(): Promise<void> {
    const { client, options } = this;
    client.on("ready", () => {
      this.ready = true;
      this.onConnectSettled?.();
    });
    // ssh2 may report one failure twice (e.g. "Timed out while waiting for handshake" and then
    // "Connection lost before handshake"): remember the first and act once, at 'close'.
    client.on("error", (error: Error) => {
      this.firstError ??= error;
      this.armGoneTimer();
    });
    client.on("end", () => this.armGoneTimer());
    client.on("close", () => {
      this.sockClosed = true;
      this.connectionGone();
    });

    return new Promise<void>((resolve, reject) => {
      this.onConnectSettled = (error) => {
        this.onConnectSettled = undefined; // settle exactly once
        if (error) reject(error);
        else resolve();
      };
      try {
        client.connect({
          sock: options.sock,
          username: options.username ?? "root",
          privateKey: options.privateKey,
          readyTimeout: options.readyTimeoutMs ?? 10_000,
          ...(options.keepaliveIntervalMs ? { keepaliveInterval: options.keepaliveIntervalMs } : {}),
          // ssh2 passes the raw key blob when hostHash is unset: compare bytes, no hashing.
          hostVerifier: (key: Buffer) => {
            if (key.equals(options.hostKey)) return true;
            this.hostKeyProblem = `host key mismatch: expected ${fingerprint(options.hostKey)}, server offered ${fingerprint(key)}`;
            return false;
          },
        });
      } catch (error) {
        // e.g. an unparsable private key: nothing was sent yet.
        options.sock.destroy();
        this.onConnectSettled(
          new ConnectionLostError(`node ${this.node}: SSH connect failed (${(error as Error).message})`, {
            cause: error,
          }),
        );
      }
    });
  }

  private armGoneTimer(): void {
    if (this.goneError || this.goneTimer) return;
    this.goneTimer = setTimeout(() => this.connectionGone(), GONE_GRACE_MS);
    this.goneTimer.unref();
  }

  /** The stream is closed (or ended/errored long enough ago): fail everything that waits. */
  private connectionGone(): void {
    clearTimeout(this.goneTimer);
    if (this.goneError) return;
    const reason = this.hostKeyProblem ?? this.firstError?.message ?? "connection closed by the server";
    const what = this.ready ? "SSH connection lost" : "SSH connect failed";
    const error = new ConnectionLostError(this.withDiagnostics(`node ${this.node}: ${what} (${reason})`), {
      cause: this.firstError,
    });
    this.markGone(error);
    this.options.sock.destroy();
  }

  private markGone(error: ConnectionLostError): void {
    if (this.goneError) return;
    this.goneError = error;
    this.onConnectSettled?.(error);
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    for (const fail of [...this.running]) fail(error);
  }

  private withDiagnostics(message: string): string {
    let text = "";
    try {
      text = this.options.diagnostics?.().trim() ?? "";
    } catch (error) {
      text = `(diagnostics unavailable: ${(error as Error).message})`;
    }
    return text ? `${message}\n${text.replace(/^/gm, "  ")}` : message;
  }

  /**
   * Waits for a free channel slot (sshd refuses channels beyond MaxSessions), at most `waitMs`:
   * a session whose slots are all held by streams that never end would otherwise wait forever.
   */
  private acquireChannel(what: string, waitMs: number): Promise<Release> {
    if (this.goneError) return Promise.reject(this.goneError);
    if (this.openChannels < this.maxChannels) {
      this.openChannels++;
      return Promise.resolve(this.makeRelease());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (release: Release) => {
          clearTimeout(timer);
          resolve(release);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(new InfrastructureError(this.noChannelMessage(what, waitMs)));
      }, waitMs);
      this.waiting.push(waiter);
    });
  }

  private noChannelMessage(what: string, waitMs: number): string {
    const held =
      this.openStreams > 0
        ? `${this.openStreams} held by long-running streams (e.g. a nested sshd each), ${this.openChannels - this.openStreams} by commands`
        : "all by commands";
    return (
      `node ${this.node}: no SSH channel after ${seconds(waitMs)} for ${what}: ` +
      `all ${this.maxChannels} channels this session may open are in use (${held})`
    );
  }

  private makeRelease(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.openChannels--;
      const next = this.waiting.shift();
      if (next) {
        this.openChannels++;
        next.resolve(this.makeRelease());
      }
    };
  }

  private async run(
    command: string,
    timeoutMs: number,
    killOnTimeout: boolean,
    channelWaitMs: number,
  ): Promise<ShellResult> {
    const release = await this.acquireChannel(`the command ${command}`, channelWaitMs);
    return this.runOnChannel(command, timeoutMs, killOnTimeout, release);
  }

  private runOnChannel(
    command: string,
    timeoutMs: number,
    killOnTimeout: boolean,
    release: Release,
  ): Promise<ShellResult> {
    return new Promise<ShellResult>((resolve, reject) => {
      const execId = newExecId();
      const started = performance.now();
      let ended: number | undefined;
      const stdout = BoundedOutput.headAndTail(this.outputCapBytes);
      const stderr = BoundedOutput.headAndTail(this.outputCapBytes);
      const killBeyondBytes = this.outputCapBytes * OUTPUT_KILL_FACTOR;
      let exitCode: number | undefined;
      let signal: string | undefined;
      let timedOut = false;
      let killedForOutput = false;
      /** Set while a timed-out or runaway command is being killed: the result waits for that. */
      let killing: Promise<void> | undefined;
      let channel: ClientChannel | undefined;
      let settled = false;

      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.running.delete(fail);
        if (error) return reject(error);
        resolve({
          node: this.node,
          command,
          stdout: stdout.text(),
          stderr: stderr.text(),
          exitCode,
          signal,
          durationMs: Math.round((ended ?? performance.now()) - started),
          timedOut,
          truncated: stdout.truncated || stderr.truncated,
          killedForOutput,
          failed: timedOut || killedForOutput || signal !== undefined || exitCode !== 0,
        });
      };
      // The connection is gone: the slot no longer matters. A command that had already timed
      // out (or was being killed for its output) keeps that verdict: we were only cleaning up after it.
      const fail = (error: Error) => {
        release();
        finish(timedOut || killedForOutput ? undefined : error);
      };
      this.running.add(fail);

      // No SSH "signal" request: OpenSSH refuses it for root (see remote-kill.ts), and ssh2's
      // channel.signal() is a no-op anyway once stdin got EOF. Closing the channel does not
      // stop the command, so kill it by its marker, and only then resolve.
      const stopCommand = (kill: boolean) => {
        ended = performance.now();
        clearTimeout(timer);
        channel?.close();
        // Keep the slot until the server confirms the close (its session counts towards
        // MaxSessions until the command is gone), but not forever.
        setTimeout(release, TIMED_OUT_SLOT_GRACE_MS).unref();
        if (!kill) return finish();
        killing = this.killRemote(execId).finally(() => finish());
      };
      const timer = setTimeout(() => {
        timedOut = true;
        stopCommand(killOnTimeout);
      }, timeoutMs);
      // Output beyond the kill threshold is dropped unread: only the kill is left to wait for.
      const collect = (into: BoundedOutput) => (chunk: Buffer) => {
        if (killedForOutput || timedOut) return;
        into.append(chunk);
        if (stdout.totalBytes + stderr.totalBytes <= killBeyondBytes) return;
        killedForOutput = true;
        stopCommand(true);
      };

      const cannotStart = (error: Error) => {
        release();
        finish(
          this.goneError ??
            new InfrastructureError(`node ${this.node}: cannot start command (${error.message}): ${command}`, {
              cause: error,
            }),
        );
      };
      try {
        this.client.exec(command, { env: { [EXEC_ID_ENV]: execId } }, (error, ch) => {
          if (error) return cannotStart(error);
          channel = ch;
          ch.on("error", () => {}); // channel stream errors end in 'close' too; handled there
          ch.on("data", collect(stdout));
          ch.stderr.on("data", collect(stderr));
          ch.on("exit", (code: number | null, signalName?: string) => {
            if (code !== null) exitCode = code;
            else signal = signalName ?? "unknown signal";
          });
          ch.on("close", () => {
            release();
            if (killing) return; // the kill's end resolves the result
            // No exit status and the connection is gone: the command's fate is unknown.
            const lost = exitCode === undefined && signal === undefined && !timedOut && this.goneError;
            finish(lost || undefined);
          });
          // Commands get EOF on stdin at once: nothing we run reads it, and `cat` must not hang.
          ch.end();
          if (timedOut) {
            // Timed out while the channel was opening: the command has started only now.
            ch.close();
            if (killOnTimeout) void this.killRemote(execId);
          }
        });
      } catch (error) {
        // ssh2 throws "Not connected" synchronously when the stream is already unwritable.
        cannotStart(error as Error);
      }
    });
  }

  /** Best effort, bounded: SIGKILL a timed-out command's processes from another channel. */
  private async killRemote(execId: string): Promise<void> {
    if (this.goneError) return;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, KILL_TIMEOUT_MS)));
    // The queue wait for a free slot is not covered by run()'s own timeout, hence the race.
    const kill = this.run(killByExecIdCommand(execId), KILL_TIMEOUT_MS, false, KILL_TIMEOUT_MS).then(
      () => undefined,
      () => undefined,
    );
    await Promise.race([kill, giveUp]);
    clearTimeout(timer);
  }
}

/** OpenSSH-style fingerprint (`SHA256:…`, as `ssh-keygen -l` prints) for error messages. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
