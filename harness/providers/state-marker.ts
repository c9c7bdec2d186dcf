import { lstat, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { InputError } from "../model/errors.ts";
import { makePrivateDir, writeSecretFile } from "../transport/keys.ts";

/**
 * The file that makes a directory ours. Written right after the directory is created, before any
 * resource exists, and checked before anything below it is unmounted, signalled or deleted: a path
 * that merely looks like a lab state dir (a typo, a traversal, someone's checkout) is never touched.
 */
export const STATE_MARKER = ".macvlab-lab";

export interface MarkerFacts {
  readonly provider: string;
  readonly lab: string;
}

/** `key=value` lines: readable by a person deciding by hand whether to delete the directory. */
export function markerText(dir: string, facts: MarkerFacts): string {
  return [
    "# made by macvlab; `macvlab down` deletes this directory only while this file is here",
    `provider=${facts.provider}`,
    `lab=${facts.lab}`,
    `dir=${dir}`,
    `created=${new Date().toISOString()}`,
    `pid=${process.pid}`,
    "",
  ].join("\n");
}

/** Creates `dir` (0700, parents 0700 where they are new) and its marker. An existing `dir` is refused. */
export async function createMarkedDir(dir: string, facts: MarkerFacts): Promise<void> {
  await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
  await makePrivateDir(dir);
  await writeSecretFile(join(dir, STATE_MARKER), markerText(dir, facts));
}

/** Whether `dir` carries our marker as a regular file of its own (a symlink does not count). */
export async function isMarked(dir: string): Promise<boolean> {
  const stats = await lstat(join(dir, STATE_MARKER)).catch(() => undefined);
  return stats?.isFile() === true;
}

/** Throws unless `dir` is absent or marked: call before signalling, unmounting or deleting anything it names. */
export async function assertOurs(dir: string): Promise<void> {
  const stats = await lstat(dir).catch(() => undefined);
  if (!stats) return;
  if (!stats.isDirectory() || !(await isMarked(dir))) throw notOurs(dir);
}

/** Deletes a directory macvlab made; one without the marker is refused and left as it is. */
export async function removeMarkedDir(dir: string): Promise<void> {
  await assertOurs(dir);
  await rm(dir, { recursive: true, force: true });
}

export function notOurs(dir: string): InputError {
  return new InputError(
    `refusing to touch ${dir}: it has no ${STATE_MARKER} marker, so macvlab did not make it (remove it yourself if it is a lab's leftover)`,
  );
}
