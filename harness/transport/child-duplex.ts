import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { Duplex } from "node:stream";
import { BoundedOutput } from "./bounded-output.ts";

/** After the child exits, how long to wait for its pipes to drain before closing anyway. */
const EXIT_GRACE_MS = 1000;

/** Error codes that only mean "the other end is gone": reported as a close, not an error. */
const PEER_GONE = new Set(["EPIPE", "ECONNRESET", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);

function isPeerGone(error: unknown): boolean {
  return PEER_GONE.has((error as NodeJS.ErrnoException | undefined)?.code ?? "");
}

/**
 * One Duplex over a child's stdout (read side) and stdin (write side), for ssh2's `sock` option.
 *
 * Written by hand rather than with `Duplex.from({ readable, writable })` because we need control
 * of the ending: ssh2 only fails its pending requests on the socket's 'close' event, so that must
 * fire once the child is gone — but not before the child has closed its pipes, so that whatever it
 * wrote to stderr (the diagnostics) has arrived by then. Writing to a dead child (EPIPE) closes
 * the stream instead of raising an error that nobody may be listening for.
 */
export function duplexFromChild(child: ChildProcess): Duplex {
  const { stdin, stdout } = child;
  if (!stdin || !stdout) throw new TypeError("duplexFromChild: the child needs piped stdin and stdout");

  const duplex = new Duplex({
    // The read side ending (child closed stdout) must not end our writes early: ssh2 decides.
    allowHalfOpen: true,
    read() {
      stdout.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (stdin.destroyed || stdin.writableEnded) return callback(); // closing is already under way
      stdin.write(chunk, (error) => callback(error && !isPeerGone(error) ? error : undefined));
    },
    final(callback) {
      stdin.end();
      callback();
    },
    destroy(error, callback) {
      stdin.destroy();
      stdout.destroy();
      callback(error);
    },
  });

  stdout.on("data", (chunk: Buffer) => {
    if (!duplex.push(chunk)) stdout.pause();
  });
  stdout.on("end", () => duplex.push(null));
  stdout.on("error", (error) => duplex.destroy(error));
  // Always listened to: an unhandled EPIPE here would crash the whole harness.
  stdin.on("error", (error) => duplex.destroy(isPeerGone(error) ? undefined : error));
  child.on("error", (error) => duplex.destroy(error)); // e.g. spawn ENOENT
  // 'close' comes after the child exited AND its stdio closed; a grandchild holding a pipe open
  // could delay it forever, hence the timer after 'exit'.
  child.on("close", () => duplex.destroy());
  child.on("exit", () => setTimeout(() => duplex.destroy(), EXIT_GRACE_MS).unref());
  return duplex;
}

export interface SshdInetdOptions {
  /** Passed to spawn (env, cwd…); stdio is always three pipes. */
  readonly spawn?: Omit<SpawnOptions, "stdio">;
  /** How much of sshd's stderr to keep (the tail). @default 16384 */
  readonly stderrLimitBytes?: number;
}

export interface SshdInetd {
  readonly child: ChildProcess;
  /** The SSH byte stream, for `SshSession.connect({ sock })`. */
  readonly sock: Duplex;
  /** The last bytes sshd wrote to stderr (with `-e`, its log): diagnostics for failures. */
  stderr(): string;
  /** Exit status (if exited) plus the stderr tail: pass as SshSession's `diagnostics`. */
  diagnostics(): string;
  /** Ends sshd: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns one `sshd -i` (inetd mode: a single SSH connection over stdin/stdout), e.g.
 * `["nsenter", "--net=/run/netns/n1", "/usr/sbin/sshd", "-i", "-e", "-f", cfg]`.
 * sshd must be given by absolute path (it re-executes itself) and needs /run/sshd to exist.
 */
export function spawnSshdInetd(argv: readonly string[], options: SshdInetdOptions = {}): SshdInetd {
  const [file, ...args] = argv;
  if (!file) throw new TypeError("spawnSshdInetd: empty argv");

  const child = spawn(file, args, { ...options.spawn, stdio: ["pipe", "pipe", "pipe"] });
  let spawnError: Error | undefined;
  child.once("error", (error) => (spawnError ??= error));
  const stderrTail = BoundedOutput.tailOnly(options.stderrLimitBytes ?? 16384);
  child.stderr?.on("data", (chunk: Buffer) => stderrTail.append(chunk));
  child.stderr?.on("error", () => {}); // only diagnostics; never worth crashing for

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once("exit", () => resolve());
    child.once("error", () => resolve()); // spawn failure: there is no process to wait for
  });

  return {
    child,
    sock: duplexFromChild(child),
    stderr: () => stderrTail.text(),
    diagnostics() {
      const status = spawnError
        ? `${file} could not be started: ${spawnError.message}`
        : child.exitCode !== null
          ? `${file} exited with code ${child.exitCode}`
          : child.signalCode !== null
            ? `${file} was killed by ${child.signalCode}`
            : `${file} is still running`;
      const text = stderrTail.text().trim();
      return text ? `${status}; its stderr:\n${text}` : `${status}; no stderr output`;
    },
    async stop(graceMs = 2000) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      await exited;
    },
  };
}
