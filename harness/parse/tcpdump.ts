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

// tcpdump's print-ether.c: "TIME SRC > DST, ", the outer type and the frame length ("ethertype 802.1Q (0x8100),
// length 102: ", or "802.3, length 52: " when the field is a length: STP, LLC), then per 802.1Q tag
// "vlan ID, p PCP[, DEI], " and the type it encloses ("ethertype IPv4 (0x0800), "; tcpdump 4.9 prints no number).
const FRAME =
  /^(\S+) ([0-9a-f:]{17}) > ([0-9a-f:]{17}), (?:ethertype [^,]+|802\.3), length \d+: ((?:vlan \d+, p \d(?:, DEI)?, (?:ethertype [^,]+, )?)*)(.*)/;

/** Lines of `tcpdump -e -nn [-r file]`; tcpdump's own chatter ("tcpdump: …", "reading from file …", counts) is skipped. */
export function parseTcpdumpE(text: string): CapturedFrame[] {
  const frames: CapturedFrame[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || /^(tcpdump:|reading from|\d+ packets? )/.test(line)) continue;
    const frame = FRAME.exec(line);
    if (!frame)
      throw new ParseError("tcpdump -e -nn", "a frame line must be `time src > dst, ethertype …, length N: …`", line);
    const vlans = [...frame[4]!.matchAll(/vlan (\d+)/g)].map((m) => Number(m[1]));
    frames.push({ time: frame[1]!, src: frame[2]!, dst: frame[3]!, vlans, payload: frame[5]! });
  }
  return frames;
}
