import { isAbsolute } from "node:path";
import { InfrastructureError } from "../model/errors.ts";
import type { LabKeys } from "./keys.ts";
import { EXEC_ID_ENV } from "./remote-kill.ts";
import { DEFAULT_MAX_CHANNELS, SERVER_SESSIONS_PER_CHANNEL } from "./ssh-session.ts";

/** PATH of every command the harness runs over SSH: the directories Debian's packages install into. */
export const COMMAND_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * sshd_config text for one `sshd -i` (inetd mode: one connection over stdin/stdout, no listener).
 *
 * `extra` lines go FIRST because sshd keeps the first value it reads for a keyword, so they
 * override the defaults below. They must not contain a `Match` block (it would swallow the rest).
 */
export function sshdConfig(
  keys: Pick<LabKeys, "hostKeyPath" | "authorizedKeysPath">,
  extra: readonly string[] = [],
): string {
  for (const path of [keys.hostKeyPath, keys.authorizedKeysPath]) {
    // A relative AuthorizedKeysFile is taken relative to the user's home, not to us.
    if (!isAbsolute(path)) throw new InfrastructureError(`sshd_config: path must be absolute: ${path}`);
  }
  const lines = [
    ...extra,
    `HostKey ${quote(keys.hostKeyPath)}`,
    `AuthorizedKeysFile ${quote(keys.authorizedKeysPath)}`,
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    // No PAM: no session modules, no motd, no delays; key auth is all we use.
    "UsePAM no",
    // sshd refuses an authorized_keys that others could have written; callers pass "StrictModes no"
    // in `extra` only where the path cannot pass (see strict-modes.ts).
    "StrictModes yes",
    // ~/.ssh/rc would run on every login: nothing but the harness's command runs.
    "PermitUserRC no",
    // No agent, X11, TCP or stream-local forwarding: sessions only run commands.
    "DisableForwarding yes",
    // Many sshd -i run side by side; none of them is a daemon.
    "PidFile none",
    "PrintMotd no",
    "PrintLastLog no",
    // Room for every channel the client opens at once and for as many closed ones not yet collected.
    `MaxSessions ${DEFAULT_MAX_CHANNELS * SERVER_SESSIONS_PER_CHANNEL}`,
    // Stable, parseable output from every command regardless of the host's locale; and the system's
    // own tools only: sshd's default for root puts /usr/local first, where a tool of the same name
    // would run instead of the packaged one a check means. One line: sshd keeps its first SetEnv.
    `SetEnv LC_ALL=C PATH=${COMMAND_PATH}`,
    // Lets SshSession find and kill a timed-out command (see remote-kill.ts).
    `AcceptEnv ${EXEC_ID_ENV}`,
    // With `-e` logs go to stderr, which we keep for diagnostics; keep only real problems.
    "LogLevel ERROR",
  ];
  return `${lines.join("\n")}\n`;
}

function quote(value: string): string {
  if (/[\n\r"]/.test(value))
    throw new InfrastructureError(`sshd_config: unsupported characters in ${JSON.stringify(value)}`);
  return /\s/.test(value) ? `"${value}"` : value;
}
