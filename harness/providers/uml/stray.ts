import { readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InfrastructureError } from "../../model/errors.ts";
import { killGroupAndWait, pidsInGroup, readStat } from "./process-group.ts";

/** Written at spawn, removed by stop(): what a later run needs to clean up after a crash. */
interface PidFile {
  readonly pid: number;
  /** /proc/PID/comm of the kernel process ("linux"), to recognise it. */
  readonly comm: string;
  /** An argument only our UML has (its uml_dir=…), to tell it from any other "linux". */
  readonly marker: string;
}

export function pidFilePath(stateDir: string): string {
  return join(stateDir, "uml.pid");
}

export async function writePidFile(stateDir: string, record: PidFile): Promise<void> {
  await writeFile(pidFilePath(stateDir), `${JSON.stringify(record)}\n`);
}

export async function removePidFile(stateDir: string): Promise<void> {
  await rm(pidFilePath(stateDir), { force: true });
}

/**
 * Kills the UML a crashed run left behind in `stateDir` (its whole process group) and waits until
 * it is gone. Only if the recorded pid is still that UML: the kernel process with our marker on
 * its command line, or — the kernel already dead, helpers lingering — a group made only of
 * processes with the kernel's name (a process group id cannot be reused while members remain).
 * Returns whether something was killed.
 */
export async function killStrayUml(stateDir: string): Promise<boolean> {
  let record: PidFile;
  try {
    record = JSON.parse(await readFile(pidFilePath(stateDir), "utf8")) as PidFile;
  } catch {
    return false; // no pid file (or a torn one): nothing we can identify safely
  }
  const members = pidsInGroup(record.pid);
  const leaderIsOurs = readStat(record.pid)?.comm === record.comm && cmdline(record.pid).includes(record.marker);
  const orphansAreOurs =
    readStat(record.pid) === undefined &&
    members.length > 0 &&
    members.every((pid) => readStat(pid)?.comm === record.comm);
  if (!leaderIsOurs && !orphansAreOurs) {
    await removePidFile(stateDir); // stale: the pid is gone or belongs to someone else now
    return false;
  }
  const left = await killGroupAndWait(record.pid);
  if (left.length > 0)
    throw new InfrastructureError(`stray UML in ${stateDir}: processes ${left.join(", ")} survived SIGKILL`);
  await removePidFile(stateDir);
  return true;
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}
