export interface ReplyLine {
  readonly from: string;
  readonly seq: number;
  readonly ttl: number;
  /** Absent when ping could not time the reply: payload under 16 bytes (iputils) or 4 (busybox), or truncated. */
  readonly timeMs?: number;
  /** ping printed "(DUP!)" (iputils leaves it out for broadcast replies unless -v). */
  readonly dupMarker: boolean;
  /** iputils "(truncated)": shorter than what was sent, still counted as received. */
  readonly truncated: boolean;
  /** busybox prints "seq=", iputils "icmp_seq=". */
  readonly busyboxWording: boolean;
}

// -D prefixes "[epoch] "; -v inserts "ident=N" before ttl; a name may precede "(address)".
// time= is optional: see timeMs.
const REPLY =
  /^(?:\[[\d.]+\] )?\d+ bytes from (.+?): (icmp_)?seq=(\d+) (?:.*? )?ttl=(\d+)(?:.*? time=([\d.]+) ?ms)?(.*)/;

export function parseReplyLine(line: string): ReplyLine | undefined {
  const m = REPLY.exec(line);
  if (!m) return undefined;
  const tail = m[6]!;
  return {
    from: addressOf(m[1]!),
    seq: Number(m[3]),
    ttl: Number(m[4]),
    ...(m[5] !== undefined ? { timeMs: Number(m[5]) } : {}),
    dupMarker: tail.includes("(DUP!)"),
    truncated: tail.includes("(truncated)"),
    busyboxWording: m[2] === undefined,
  };
}

/** "localhost (127.0.0.1)" → "127.0.0.1"; a bare address stays as it is. */
export function addressOf(text: string): string {
  return /\(([^()]+)\)$/.exec(text)?.[1] ?? text;
}
