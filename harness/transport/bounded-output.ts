import { InputError } from "../model/errors.ts";

/** How much of each remote or child stream the harness keeps. */
export const DEFAULT_OUTPUT_CAP_BYTES = 4 << 20;
export const OUTPUT_CAP_ENV = "MACVLAB_OUTPUT_CAP_BYTES";
/**
 * A command is killed once its output passes this many times the cap. Not at the cap itself: a
 * command that prints a long log and then the line that matters should still show that line in
 * the kept tail. Beyond a few caps the command is runaway, and only costs CPU and the lab's time.
 */
export const OUTPUT_KILL_FACTOR = 4;

/** The output cap from MACVLAB_OUTPUT_CAP_BYTES (a positive whole number of bytes), else the default. */
export function outputCapFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[OUTPUT_CAP_ENV];
  if (raw === undefined || raw === "") return DEFAULT_OUTPUT_CAP_BYTES;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value <= 0)
    throw new InputError(
      `${OUTPUT_CAP_ENV}=${JSON.stringify(raw)}: must be a positive whole number of bytes (default ${DEFAULT_OUTPUT_CAP_BYTES})`,
    );
  return value;
}

/** Many tiny chunks in the tail are merged once there are this many (an array entry costs more than a byte). */
const MAX_TAIL_CHUNKS = 256;

/**
 * A stream collector that cannot grow without bound: keeps the first `headLimit` and the last
 * `tailLimit` bytes and counts what falls between. `text()` joins them around one marker line,
 * "… N bytes cut …", never splitting a UTF-8 character. Bytes, not characters, because the
 * danger is memory and V8's maximum string length, both measured in bytes.
 */
export class BoundedOutput {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(
    readonly headLimit: number,
    readonly tailLimit: number,
  ) {
    if (!(headLimit >= 0 && tailLimit >= 0))
      throw new RangeError(`BoundedOutput: bad limits ${headLimit}/${tailLimit}`);
  }

  /** Half head, half tail: a command's stdout, where both the start and the end may matter. */
  static headAndTail(capBytes: number): BoundedOutput {
    const head = Math.floor(capBytes / 2);
    return new BoundedOutput(head, capBytes - head);
  }

  /** Only the end: a log (a console, sshd's stderr) whose latest lines explain a failure. */
  static tailOnly(bytes: number): BoundedOutput {
    return new BoundedOutput(0, bytes);
  }

  /** Every byte appended so far, kept or not. */
  get totalBytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > this.headBytes + this.tailBytes;
  }

  append(chunk: Buffer | string): void {
    let rest = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    this.total += rest.length;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(rest.length, this.headLimit - this.headBytes);
      // A copy: a subarray would pin the whole chunk it came from.
      this.head.push(Buffer.from(rest.subarray(0, take)));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    if (rest.length >= this.tailLimit) {
      this.tail = [Buffer.from(rest.subarray(rest.length - this.tailLimit))];
      this.tailBytes = this.tailLimit;
      return;
    }
    this.tail.push(rest);
    this.tailBytes += rest.length;
    while (this.tail.length > 0 && this.tailBytes - (this.tail[0]?.length ?? 0) >= this.tailLimit)
      this.tailBytes -= this.tail.shift()?.length ?? 0;
    const excess = this.tailBytes - this.tailLimit;
    if (excess > 0 && this.tail[0]) {
      this.tail[0] = this.tail[0].subarray(excess);
      this.tailBytes -= excess;
    }
    if (this.tail.length > MAX_TAIL_CHUNKS) this.tail = [Buffer.concat(this.tail)];
  }

  /** What was kept, as UTF-8; when something was cut, head and tail around a marker line. */
  text(): string {
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    if (!this.truncated) return Buffer.concat([head, tail]).toString("utf8");
    const shownHead = head.subarray(0, completeUtf8Prefix(head));
    const shownTail = tail.subarray(leadingContinuationBytes(tail));
    const cut = this.total - shownHead.length - shownTail.length;
    const before = shownHead.length === 0 || shownHead.at(-1) === 0x0a ? "" : "\n";
    return `${shownHead.toString("utf8")}${before}${cutMarker(cut)}\n${shownTail.toString("utf8")}`;
  }

  toString(): string {
    return this.text();
  }

  /** The last `lines` lines of `text()`, for error messages. */
  lastLines(lines: number): string {
    return this.text().split("\n").slice(-lines).join("\n");
  }
}

export function cutMarker(bytes: number): string {
  return `… ${bytes} bytes cut …`;
}

/** Length of the longest prefix that does not end inside a multi-byte UTF-8 character. */
function completeUtf8Prefix(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: the character started earlier
    const needed = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** Continuation bytes at the start: the rest of a character whose first bytes were cut. */
function leadingContinuationBytes(bytes: Buffer): number {
  let n = 0;
  while (n < 3 && n < bytes.length && ((bytes[n] ?? 0) & 0xc0) === 0x80) n++;
  return n;
}
