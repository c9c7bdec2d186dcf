import { ParseError } from "./parse-error.ts";
import { type PingFlavour, type PingHeader, parsePingHeader } from "./ping-header.ts";
import { classifyPingNotice, type PingNotice } from "./ping-notices.ts";
import { parseReplyLine } from "./ping-reply.ts";
import { type PingStatistics, parsePingRtt, parsePingStatistics } from "./ping-statistics.ts";

export type { PingFlavour } from "./ping-header.ts";

export interface PingReply {
  /** Source address of the echo reply (the address, also when ping printed a name). */
  readonly from: string;
  readonly seq: number;
  readonly ttl: number;
  /** Absent when ping printed no time: payload too small to carry a timestamp (-s < 16), or truncated. */
  readonly timeMs?: number;
  /**
   * A second reply to the same sequence number (broadcast, duplicated frames, loops). ping does not count
   * it as received, so loss is over distinct seqs.
   */
  readonly duplicate?: true;
  /** iputils "(truncated)": shorter than the request, but an answer all the same. */
  readonly truncated?: true;
}

export interface PingRtt {
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
}

export interface PingSummary {
  readonly flavour: PingFlavour;
  /** Address from the PING header line; "" when ping failed before printing it. */
  readonly target: string;
  readonly transmitted: number;
  /** Distinct sequence numbers answered: duplicates are not in it (see `duplicates`). */
  readonly received: number;
  readonly lossPercent: number;
  /** iputils "+N errors": ICMP errors received instead of replies (and, on ICMP datagram sockets, redirects). */
  readonly errors: number;
  /** "+N duplicates" from the statistics line. */
  readonly duplicates: number;
  readonly replies: readonly PingReply[];
  /** ICMP error lines ("From … Destination Host Unreachable") and ping's own complaints. */
  readonly problems: readonly string[];
  /** ICMP that does not stop the echo ("From 10.0.0.1 icmp_seq=1 Redirect Host(New nexthop: 10.0.0.3)"). */
  readonly notes: readonly string[];
  /** ping's own warnings ("ping: Warning: source address might be selected on device other than: eth0"). */
  readonly warnings: readonly string[];
  readonly rtt?: PingRtt;
}

const RESOLVE_FAILED = [
  /^ping: bad address '(.+)'$/,
  /^ping: (\S+): (?:Name or service not known|Temporary failure in name resolution)$/,
  /^ping: (\S+): No address associated with hostname$/,
];

/** Parses LC_ALL=C output of iputils or busybox ping. Throws ParseError only on text that is not ping's. */
export function parsePing(stdout: string, stderr = ""): PingSummary {
  const out = lines(stdout);
  const err = lines(stderr);
  if (out.length === 0 && err.length === 0) throw new ParseError("ping", "no output at all");

  let header: PingHeader | undefined;
  let statistics: PingStatistics | undefined;
  let rtt: PingRtt | undefined;
  let busyboxHint = false;
  const replies: PingReply[] = [];
  const filed = { problem: [] as string[], note: [] as string[], warning: [] as string[] };
  const file = (notice: PingNotice) => {
    if (notice.kind !== "noise") filed[notice.kind].push(notice.text);
  };
  const seen = new Set<number>();
  let recognised = 0;

  for (const line of out) {
    const reply = parseReplyLine(line);
    if (reply) {
      // Without -v iputils prints no "(DUP!)" for broadcast replies: a repeated seq is the only sign.
      const duplicate = reply.dupMarker || seen.has(reply.seq);
      seen.add(reply.seq);
      busyboxHint ||= reply.busyboxWording;
      replies.push({
        from: reply.from,
        seq: reply.seq,
        ttl: reply.ttl,
        ...(reply.timeMs !== undefined ? { timeMs: reply.timeMs } : {}),
        ...(duplicate ? { duplicate: true as const } : {}),
        ...(reply.truncated ? { truncated: true as const } : {}),
      });
      recognised++;
      continue;
    }
    const h = header ? undefined : parsePingHeader(line);
    if (h) {
      header = h;
      recognised++;
      continue;
    }
    const s = parsePingStatistics(line);
    if (s) {
      statistics = s;
      busyboxHint ||= s.busyboxWording;
      recognised++;
      continue;
    }
    const r = parsePingRtt(line);
    if (r) {
      rtt = r;
      recognised++;
      continue;
    }
    const notice = classifyPingNotice(line);
    if (notice) {
      file(notice);
      recognised++;
    }
  }
  for (const line of err) {
    const notice = classifyPingNotice(line);
    // Anything else on stderr (a shell's "command not found") still explains the run, but is not ping's.
    if (notice) {
      file(notice);
      recognised++;
    } else filed.problem.push(line);
    busyboxHint ||= /^ping: (bad address '|sendto: )/.test(line);
  }
  if (recognised === 0) throw new ParseError("ping", "no PING header, reply or statistics line", stdout || stderr);

  const problems = filed.problem;
  if (!statistics && problems.length === 0) problems.push("ping printed no statistics line (interrupted or killed?)");
  return {
    flavour: header?.flavour ?? (busyboxHint ? "busybox" : "iputils"),
    target: header?.address ?? resolveTarget(problems),
    transmitted: statistics?.transmitted ?? 0,
    received: statistics?.received ?? 0,
    // Without statistics nothing is known to have arrived; 100 keeps "no loss" checks failing.
    lossPercent: statistics?.lossPercent ?? 100,
    errors: statistics?.errors ?? 0,
    duplicates: statistics?.duplicates ?? 0,
    replies,
    problems,
    notes: filed.note,
    warnings: filed.warning,
    ...(rtt ? { rtt } : {}),
  };
}

function resolveTarget(problems: readonly string[]): string {
  for (const line of problems) {
    for (const pattern of RESOLVE_FAILED) {
      const m = pattern.exec(line);
      if (m) return m[1]!;
    }
  }
  return "";
}

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== "");
}
