/**
 * The two summary lines at the end of ping output. Both flavours list comma-separated
 * counters, but only some appear in a given run, so each part is matched on its own:
 *   iputils: "8 packets transmitted, 3 received, +5 errors, 62.5% packet loss, time 4950ms"
 *   busybox: "2 packets transmitted, 2 packets received, 1 duplicates, 0% packet loss"
 */
export interface PingStatistics {
  readonly transmitted: number;
  readonly received: number;
  readonly duplicates: number;
  readonly errors: number;
  readonly lossPercent: number;
  /** "N packets received" is busybox's wording; iputils says "N received". */
  readonly busyboxWording: boolean;
}

export function parsePingStatistics(line: string): PingStatistics | undefined {
  let transmitted: number | undefined;
  let received: RegExpExecArray | undefined;
  let lossPercent: number | undefined;
  let duplicates = 0;
  let errors = 0;
  for (const part of line.split(", ")) {
    const counter = (pattern: RegExp) => {
      const m = pattern.exec(part);
      return m ? Number(m[1]) : undefined;
    };
    transmitted = counter(/^(\d+) packets transmitted$/) ?? transmitted;
    received = /^(\d+) (packets )?received$/.exec(part) ?? received;
    duplicates = counter(/^\+?(\d+) duplicates$/) ?? duplicates;
    errors = counter(/^\+(\d+) errors$/) ?? errors;
    lossPercent = counter(/^([\d.]+)% packet loss$/) ?? lossPercent;
    // "time 407ms", "+N corrupted" and future counters are not needed by any check.
  }
  if (transmitted === undefined || received === undefined || lossPercent === undefined) return undefined;
  const busyboxWording = received[2] !== undefined;
  return { transmitted, received: Number(received[1]), duplicates, errors, lossPercent, busyboxWording };
}

/**
 * iputils: "rtt min/avg/max/mdev = 0.05/449.2/1027.5/429.2 ms, pipe 5"
 * busybox: "round-trip min/avg/max = 0.084/437.910/1006.855 ms"
 */
export function parsePingRtt(line: string): { minMs: number; avgMs: number; maxMs: number } | undefined {
  const m = /^(?:rtt|round-trip) min\/avg\/max(?:\/mdev)? = ([\d.]+)\/([\d.]+)\/([\d.]+)(?:\/[\d.]+)? ms/.exec(line);
  return m ? { minMs: Number(m[1]), avgMs: Number(m[2]), maxMs: Number(m[3]) } : undefined;
}
