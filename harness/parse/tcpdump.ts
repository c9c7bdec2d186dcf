import { ParseError } from "./parse-error.ts";

/** One frame as `tcpdump -e -nn` prints it: link-layer addresses, 802.1Q tags (outermost first), the rest. */
export interface CapturedFrame {
  readonly time: string;
  readonly src: string;
  readonly dst: string;
  readonly vlans: readonly number[];
  /** What follows the link layer, e.g. `172.16.10.10 > 172.16.10.11: ICMP echo request, id 7, seq 1, length 64`. */
  readonly payload: string;
}

const FRAME = /^(\S+) ([0-9a-f:]{17}) > ([0-9a-f:]{17}), (.*)$/;

/** Lines of `tcpdump -e -nn [-r file]`; tcpdump's own chatter ("listening on", counts) is skipped. */
export function parseTcpdumpE(text: string): CapturedFrame[] {
  const frames: CapturedFrame[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim() || /^(tcpdump:|reading from|\d+ packets? )/.test(line)) continue;
    const [, time, src, dst, rest] = FRAME.exec(line) ?? [];
    if (time === undefined || src === undefined || dst === undefined || rest === undefined)
      throw new ParseError("tcpdump -e -nn", "a frame line must start with `time src > dst,`", line);
    const vlans = [...rest.matchAll(/\bvlan (\d+), p \d+/g)].map((m) => Number(m[1]));
    // The payload starts after the innermost "ethertype NAME (0x....)" (tagged) or "length N: " (untagged).
    const inner = rest.lastIndexOf("ethertype ");
    const afterType = rest.slice(inner).replace(/^ethertype [^,]*, (length \d+: )?/, "");
    frames.push({ time, src, dst, vlans, payload: afterType });
  }
  return frames;
}
