import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** Live (non-zombie) processes whose process group is `pgid`, from /proc/PID/stat. */
export function pidsInGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    // A zombie is already dead; only its parent's wait() removes it, and that is not ours to do.
    if (stat && stat.pgrp === pgid && stat.state !== "Z") pids.push(Number(entry));
  }
  return pids;
}

interface Stat {
  readonly comm: string;
  readonly state: string;
  readonly pgrp: number;
}

/** Parses /proc/PID/stat; undefined if the process is gone. */
export function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: it ends at the LAST ")".
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  return { comm: text.slice(text.indexOf("(") + 1, close), state: fields[0] ?? "?", pgrp: Number(fields[2]) };
}

/**
 * SIGKILLs the whole group and waits until none of it is left: UML forks helper processes that
 * linger a moment after the main process died. Returns the pids still alive after `timeoutMs`
 * (empty on success). Kills again on every poll, in case a helper forked in between.
 */
export async function killGroupAndWait(pgid: number, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // ESRCH: nothing left (zombies do not count either)
    }
    const left = pidsInGroup(pgid);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(20);
  }
}
