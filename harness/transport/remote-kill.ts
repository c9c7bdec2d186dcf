import { randomUUID } from "node:crypto";

/**
 * Every command gets this environment variable with a unique id (sshd must `AcceptEnv` it, see
 * sshd-config.ts). Why: OpenSSH refuses SSH "signal" requests when the user is root ("session
 * signalling requires privilege separation" — root sessions skip post-auth privsep), and closing
 * a no-pty channel does not stop the command. The only way to stop a timed-out command is to
 * find its processes by this marker and kill them from a second channel.
 */
export const EXEC_ID_ENV = "MACVLAB_EXEC_ID";

export function newExecId(): string {
  return randomUUID().replaceAll("-", "");
}

/** Shell command that SIGKILLs every process whose environment carries the marker `id`. */
export function killByExecIdCommand(id: string): string {
  if (!/^[0-9a-zA-Z]+$/.test(id)) throw new TypeError(`unsafe exec id: ${id}`);
  // Processes may vanish between the glob and the read: ignore those errors, always exit 0.
  return `grep -lzxF '${EXEC_ID_ENV}=${id}' /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | xargs -r kill -KILL 2>/dev/null; true`;
}
