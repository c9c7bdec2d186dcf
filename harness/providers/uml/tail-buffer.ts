/** Keeps the last `limit` characters written to it: a console log that cannot grow without bound. */
export class TailBuffer {
  private text = "";
  private dropped = false;

  constructor(private readonly limit = 65_536) {}

  append(chunk: Buffer | string): void {
    this.text += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    // Trim only when well past the limit, so a chatty console does not copy the buffer each line.
    if (this.text.length > this.limit * 2) {
      this.text = this.text.slice(this.text.length - this.limit);
      this.dropped = true;
    }
  }

  toString(): string {
    const text = this.text.length > this.limit ? this.text.slice(this.text.length - this.limit) : this.text;
    return this.dropped || text.length < this.text.length ? `[… earlier output dropped]\n${text}` : text;
  }

  /** The last `lines` lines, for error messages. */
  tail(lines: number): string {
    return this.text.split("\n").slice(-lines).join("\n");
  }
}
