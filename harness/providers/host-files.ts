import { constants } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { FileToWrite, WriteFileOptions } from "./namespace-lab/lab-host.ts";

/**
 * Writes a file on this machine as a LabHost promises: parents made 0700, the file created exclusively
 * with no more mode bits than asked, even for a moment; `replace` rewrites in place (same inode), but
 * never through a symlink: a link planted in the state dir must not redirect the write.
 */
export async function writeHostFile(
  path: string,
  content: string | Buffer,
  options: WriteFileOptions = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const mode = options.mode ?? 0o644;
  const flags = options.replace ? constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW : "wx";
  const file = await open(path, flags, mode);
  try {
    await file.writeFile(content);
    // Only adds back what the umask took from a new file: never more than `mode`.
    if (!options.replace) await file.chmod(mode);
  } finally {
    await file.close();
  }
}

/** writeHostFile for each file, in order. */
export async function writeHostFiles(files: readonly FileToWrite[]): Promise<void> {
  for (const file of files) await writeHostFile(file.path, file.content, { mode: file.mode });
}
