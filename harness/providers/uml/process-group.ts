import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { InfrastructureError } from "../../model/errors.ts";

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
  /** Field 22: clock ticks after boot; with the pid, it names one process for good. */
  readonly startTime: number;
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
  // fields[0] is field 3 of proc(5): pgrp is field 5, starttime field 22.
  return {
    comm: text.slice(text.indexOf("(") + 1, close),
    state: fields[0] ?? "?",
    pgrp: Number(fields[2]),
    startTime: Number(fields[19]),
  };
}

/** Group members in any state, zombies included (what `pgrep` would still list). */
function anyInGroup(pgid: number): boolean {
  for (const entry of readdirSync("/proc")) {
    if (/^\d+$/.test(entry) && readStat(Number(entry))?.pgrp === pgid) return true;
  }
  return false;
}

/**
 * SIGKILLs the whole group and waits until none of it is left: UML forks helper processes that
 * linger a moment after the main process died. Returns the pids still alive after `timeoutMs`
 * (empty on success). Kills again on every poll, in case a helper forked in between.
 * Then waits (at most `zombieGraceMs`, never an error) for the zombies to be reaped: orphaned
 * helpers are reaped by the host's init, which on some machines does so only every second or two.
 */
export async function killGroupAndWait(pgid: number, timeoutMs = 10_000, zombieGraceMs = 3000): Promise<number[]> {
  // kill(-1) signals every process we may signal, kill(0) our own group: never a lab's group.
  if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new InfrastructureError(`refusing to kill process group ${pgid}`);
  const deadline = Date.now() + timeoutMs;
  // Signal only while members exist: a group id cannot be reused while it has members, so we
  // never hit a stranger's group that got the same number after ours was gone.
  for (let left = pidsInGroup(pgid); left.length > 0; left = pidsInGroup(pgid)) {
    if (Date.now() >= deadline) return left;
    try {
      process.kill(-pgid, "SIGKILL");
    } catch (error) {
      // ESRCH: gone meanwhile. EPERM: someone else's processes.
      if ((error as NodeJS.ErrnoException).code === "EPERM")
        throw new InfrastructureError(`not permitted to kill process group ${pgid} (started by another user?)`, {
          cause: error,
        });
    }
    await sleep(20);
  }
  const zombieDeadline = Date.now() + zombieGraceMs;
  while (anyInGroup(pgid) && Date.now() < zombieDeadline) await sleep(50);
  return [];
}
