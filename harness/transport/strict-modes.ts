import { lstat, realpath } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Whether sshd's `StrictModes yes` accepts `path` as root's AuthorizedKeysFile: sshd
 * (auth_secure_path) wants the file and each directory above it, up to `/`, owned by root or the
 * user logging in (root, for every lab) and writable by neither group nor others.
 * Judged from this process's view of the files: for a UML kernel on hostfs, sshd inside sees the
 * same owners (an ordinary user's files are that user's there too, so StrictModes must be off).
 */
export async function strictModesHold(path: string): Promise<boolean> {
  let current: string;
  try {
    current = await realpath(path);
  } catch {
    return false;
  }
  for (;;) {
    const stats = await lstat(current).catch(() => undefined);
    if (stats?.uid !== 0 || (stats.mode & 0o022) !== 0) return false;
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/**
 * sshd_config lines (for sshdConfig's `extra`) that switch StrictModes off where the files cannot pass
 * it. `path` is the authorized_keys file, or the directory it will be created in (0600, by root).
 */
export async function strictModesOverride(path: string): Promise<readonly string[]> {
  return (await strictModesHold(path)) ? [] : ["StrictModes no"];
}
