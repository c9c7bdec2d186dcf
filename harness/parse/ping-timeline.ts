import { ParseError } from "./parse-error.ts";
import { parseReplyLine } from "./ping-reply.ts";

/** Every probe of a `ping -D -c N` run: which were answered by the target, and when (seconds since the epoch). */
export interface PingTimeline {
  readonly sent: number;
  /** Answered sequence numbers (first copy only), with the time ping printed the reply. */
  readonly answers: ReadonlyArray<{ readonly seq: number; readonly at: number }>;
}

const TIMESTAMPED = /^\[(\d+(?:\.\d+)?)\] /;

/** Output of iputils `ping -D -n -c N … TARGET`: replies from anyone but the target do not count. */
export function parsePingTimeline(stdout: string, target: string, sent: number): PingTimeline {
  const seen = new Set<number>();
  const answers: Array<{ seq: number; at: number }> = [];
  for (const line of stdout.split(/\r?\n/)) {
    const reply = parseReplyLine(line);
    if (!reply || reply.from !== target || seen.has(reply.seq)) continue;
    const stamp = TIMESTAMPED.exec(line);
    if (!stamp) throw new ParseError("ping -D", "a reply without its [timestamp] (was -D given?)", line);
    seen.add(reply.seq);
    answers.push({ seq: reply.seq, at: Number(stamp[1]) });
  }
  return { sent, answers: answers.sort((a, b) => a.seq - b.seq) };
}

/** What a timeline says about an interruption: loss, the longest silence between answers, loss at the end. */
export interface Interruption {
  readonly lost: number;
  readonly lossPercent: number;
  /** The longest time between two consecutive answers, or from the first probe's slot to the first answer. */
  readonly longestGapMs: number;
  /** How many of the last `tail` probes went unanswered. */
  readonly lostAtEnd: number;
}

export function interruption(timeline: PingTimeline, intervalMs: number, tail: number): Interruption {
  const { sent, answers } = timeline;
  const lost = sent - answers.length;
  const answered = new Set(answers.map((a) => a.seq));
  let lostAtEnd = 0;
  for (let seq = Math.max(1, sent - tail + 1); seq <= sent; seq++) if (!answered.has(seq)) lostAtEnd++;
  let longestGapMs = answers.length ? 0 : sent * intervalMs;
  const first = answers[0];
  // Probes lost before the first answer: their slots are the gap (there is no earlier answer to measure from).
  if (first) longestGapMs = (first.seq - 1) * intervalMs;
  for (let i = 1; i < answers.length; i++)
    longestGapMs = Math.max(longestGapMs, Math.round((answers[i]!.at - answers[i - 1]!.at) * 1000));
  const last = answers.at(-1);
  if (last) longestGapMs = Math.max(longestGapMs, (sent - last.seq) * intervalMs);
  return { lost, lossPercent: sent ? Math.round((100 * lost) / sent) : 100, longestGapMs, lostAtEnd };
}
