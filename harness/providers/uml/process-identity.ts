import { readFileSync } from "node:fs";
import { readStat } from "./process-group.ts";

/**
 * What tells one process from another that later got the same pid: its start time (field 22 of
 * /proc/PID/stat, clock ticks since boot) and its full command line.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: number;
  readonly cmdline: readonly string[];
}

/** Undefined if the process is gone (or unreadable, or a zombie with no command line left). */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const stat = readStat(pid);
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return undefined;
  }
  if (!stat || raw === "") return undefined;
  // NUL-terminated arguments: drop the empty string after the last one.
  return { pid, startTime: stat.startTime, cmdline: raw.replace(/\0$/, "").split("\0") };
}

export function sameProcess(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return (
    a.pid === b.pid &&
    a.startTime === b.startTime &&
    a.cmdline.length === b.cmdline.length &&
    a.cmdline.every((arg, i) => arg === b.cmdline[i])
  );
}
