/** A line beside the replies, by what it means for the verdict. */
export interface PingNotice {
  /**
   * problem: the echo did not get through (ICMP error, ping's own failure); note: ICMP that does not say
   * so (a redirect); warning: ping doubting its setup; noise: -v debug chatter.
   */
  readonly kind: "problem" | "note" | "warning" | "noise";
  readonly text: string;
}

// iputils -D puts "[epoch] " before ICMP lines as before replies.
const ICMP_LINE = /^(?:\[[\d.]+\] )?(From \S.*)/;
// A redirect names a better next hop and source quench asks to slow down: the packet was forwarded, so
// the echo may still be answered (iputils' raw-socket path does not count either as an error).
const INFORMATIONAL_ICMP = /\bRedirect\b|\bSource Quench\b/;
// iputils: "WARNING: pinging broadcast address", "ping: Warning: source address might be selected on …",
// "ping: warning: QOS sockopts: …"; busybox: "ping: warning: got ICMP 5 (Redirect (change route))".
const WARNING = /^(?:ping: )?(?:WARNING|Warning|warning): /;
// busybox reports other ICMP only as such a warning, and then it is the echo failing.
const BUSYBOX_ICMP = /^ping: warning: got ICMP /;
const VERBOSE_NOISE = /^ping: sock4\.fd: |^ai->ai_family: /;

/** Undefined for a line ping does not write (a shell's "command not found", another tool's output). */
export function classifyPingNotice(line: string): PingNotice | undefined {
  const icmp = ICMP_LINE.exec(line);
  if (icmp) return { kind: INFORMATIONAL_ICMP.test(line) ? "note" : "problem", text: icmp[1]! };
  if (VERBOSE_NOISE.test(line)) return { kind: "noise", text: line };
  if (BUSYBOX_ICMP.test(line)) return { kind: INFORMATIONAL_ICMP.test(line) ? "note" : "problem", text: line };
  if (WARNING.test(line)) return { kind: "warning", text: line };
  if (/^ping: /.test(line)) return { kind: "problem", text: line };
  return undefined;
}
