import { readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { InfrastructureError } from "../../model/errors.ts";
import { killGroupAndWait, pidsInGroup } from "./process-group.ts";
import { type ProcessIdentity, processIdentity, sameProcess } from "./process-identity.ts";

/** Written at spawn, removed by stop(): what a later run needs to clean up after a crash. */
export type PidFile = ProcessIdentity;

export function pidFilePath(stateDir: string): string {
  return join(stateDir, "uml.pid");
}

/** UML's own directory for a state dir: its `uml_dir=` argument is the one only our kernel has. */
export function umlDirOf(stateDir: string): string {
  return join(resolve(stateDir), "uml");
}

/** Records the kernel just spawned, as /proc shows it (pid, start time, full command line). */
export async function recordUml(stateDir: string, pid: number): Promise<void> {
  const identity = processIdentity(pid);
  if (!identity) throw new InfrastructureError(`UML (pid ${pid}) exited before it could be recorded`);
  await writePidFile(stateDir, identity);
}

export async function writePidFile(stateDir: string, record: PidFile): Promise<void> {
  await writeFile(pidFilePath(stateDir), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

export async function removePidFile(stateDir: string): Promise<void> {
  await rm(pidFilePath(stateDir), { force: true });
}

/**
 * Kills the UML a crashed run left behind in `stateDir` (its whole process group) and waits until
 * it is gone. A pid file is untrusted input: only a record naming a process group above 1 whose
 * leader is still that very process (same start time, same full command line, carrying the marker)
 * — or, the kernel already dead and its helpers lingering, a group made only of that command line
 * (a group id cannot be reused while members remain) — is signalled. Anything else is stale: the
 * file is removed, nothing is signalled, and a record that names a live process it does not match
 * says so in a warning. Returns whether something was killed.
 */
export async function killStrayUml(stateDir: string): Promise<boolean> {
  const path = pidFilePath(stateDir);
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return false;
  const record = parsePidFile(text);
  const verdict = record ? judge(record, `uml_dir=${umlDirOf(stateDir)}`) : { ours: false, why: "not a pid record" };
  if (!verdict.ours) {
    if (verdict.why)
      process.emitWarning(`${path}: refused to signal (${verdict.why}); removed as stale`, "MacvlabWarning");
    await removePidFile(stateDir);
    return false;
  }
  // judge() accepts only pids above 1, so this is never -1 or 0 (every process, our own group).
  const pgid = (record as PidFile).pid;
  const left = await killGroupAndWait(pgid);
  if (left.length > 0)
    throw new InfrastructureError(`stray UML in ${stateDir}: processes ${left.join(", ")} survived SIGKILL`);
  await removePidFile(stateDir);
  return true;
}

/** `why` is empty when the recorded process is simply gone (the usual stale file: not worth a warning). */
function judge(record: PidFile, marker: string): { ours: boolean; why: string } {
  if (record.pid <= 1) return { ours: false, why: `pid ${record.pid} is not a process group we can own` };
  if (!record.cmdline.includes(marker)) return { ours: false, why: `its command line lacks ${marker}` };
  const leader = processIdentity(record.pid);
  if (leader) {
    if (sameProcess(leader, record)) return { ours: true, why: "" };
    return { ours: false, why: `pid ${record.pid} is now another process (start time or command line differ)` };
  }
  const members = pidsInGroup(record.pid);
  if (members.length === 0) return { ours: false, why: "" };
  const strangers = members.filter((pid) => {
    const member = processIdentity(pid);
    // Helpers are forks of the kernel: its command line, started no earlier than it.
    return !member || member.cmdline.join("\0") !== record.cmdline.join("\0") || member.startTime < record.startTime;
  });
  if (strangers.length === 0) return { ours: true, why: "" };
  return { ours: false, why: `process group ${record.pid} holds other processes (${strangers.join(", ")})` };
}

function parsePidFile(text: string): PidFile | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { pid, startTime, cmdline } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(startTime)) return undefined;
  if (!Array.isArray(cmdline) || cmdline.length === 0 || !cmdline.every((arg) => typeof arg === "string"))
    return undefined;
  return { pid: pid as number, startTime: startTime as number, cmdline: cmdline as string[] };
}
