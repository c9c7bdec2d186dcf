import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { KEEP_COMMAND } from "../../model/paths.ts";

/**
 * How a kept UML kernel is reached: a keeper process (`macvlab keep uml <lab>`) holds the kernel's
 * console and serves an attach socket in the kernel's state dir. An attach writes its own keys and
 * sshd_config into a new `attach-<pid>-<hex>` directory beside it, sends that name as one line, and
 * once the keeper answers `ok` speaks SSH over the socket to an `sshd -i` the keeper started inside
 * the kernel with that config. Between the keeper and the process that started it, the keeper's
 * stdout carries one KeeperReport line and its stdin `detach` (the lab is handed over; EOF before
 * that means the starter died, and the keeper stops the kernel).
 */
export const ATTACH_SOCKET = "attach.sock";
export const ATTACH_ID = /^attach-[0-9]{1,10}-[0-9a-f]{8}$/;
export const DETACH_LINE = "detach";
export const KEEPER_OK = "ok";
/** A keeper's command line after the CLI's entry point; a recorded keeper must carry it. */
export function keeperArgs(labName: string): string[] {
  return [KEEP_COMMAND, "uml", labName];
}

export type KeeperReport = { readonly ready: { kernel: string; bootMs: number } } | { readonly failed: string };

/** The longest line either side of the protocol reads: anything longer is not ours. */
export const MAX_LINE_BYTES = 16_384;

/**
 * A unix socket path is at most 107 bytes; a state dir can be deeper than that. Past the limit the
 * socket is named through an open descriptor of its directory (/proc/self/fd/N/…), which bind and
 * connect both resolve. `close` releases that descriptor once the socket is bound or connected.
 */
export function socketPath(dir: string): { path: string; close: () => void } {
  const direct = join(dir, ATTACH_SOCKET);
  if (Buffer.byteLength(direct) <= 100) return { path: direct, close: () => {} };
  const fd = openSync(dir, "r");
  return {
    path: `/proc/self/fd/${fd}/${ATTACH_SOCKET}`,
    close: () => {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    },
  };
}

/**
 * The first line of `stream` (without its newline), within `limit` bytes and `timeoutMs`; whatever
 * came after the newline is put back. Rejects on a longer line, the stream's end, or the deadline.
 */
export function readLine(stream: Readable, what: string, timeoutMs: number, limit = MAX_LINE_BYTES): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (error?: Error, line?: string) => {
      clearTimeout(timer);
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onEnd);
      stream.off("error", onError);
      stream.pause();
      if (error) reject(error);
      else resolve(line ?? "");
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const newline = buffered.indexOf(0x0a);
      if (newline === -1) {
        if (buffered.length > limit) finish(new Error(`${what}: a line longer than ${limit} bytes`));
        return;
      }
      const rest = buffered.subarray(newline + 1);
      finish(undefined, buffered.subarray(0, newline).toString("utf8"));
      if (rest.length > 0) stream.unshift(rest);
    };
    const onEnd = () => finish(new Error(`${what}: ended before a line came${tail(buffered)}`));
    const onError = (error: Error) => finish(new Error(`${what}: ${error.message}`));
    const timer = setTimeout(() => finish(new Error(`${what}: no line within ${timeoutMs} ms`)), timeoutMs);
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("close", onEnd);
    stream.once("error", onError);
    stream.resume();
  });
}

function tail(buffered: Buffer): string {
  const text = buffered.toString("utf8").trim();
  return text ? ` (it said: ${text.slice(-500)})` : "";
}
