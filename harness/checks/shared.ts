import { CheckCommandError } from "../model/errors.ts";
import type { ShellResult } from "../transport/shell.ts";
import type { Place } from "./check-kind.ts";

/** The documents' "containers": a command inside a namespace on the node. */
export function inNetns(netns: string | undefined, command: string): string {
  return netns ? `ip netns exec ${netns} ${command}` : command;
}

/** The optional `ip netns exec NAME ` prefix, as the read-only patterns accept it. */
export const NETNS_PREFIX = `(ip netns exec [A-Za-z0-9_.-]+ )?`;
/** An interface name as the schema admits it. */
export const IFNAME_PATTERN = `[A-Za-z][A-Za-z0-9_.@-]{0,14}`;

export function where(place: Place): string {
  return place.netns ? `${place.node}/${place.netns}` : place.node;
}

/** A check's command that must succeed to judge anything. */
export function mustSucceed(checkId: string, result: ShellResult): ShellResult {
  if (result.failed) throw commandFailed(checkId, result);
  return result;
}

export function commandFailed(checkId: string, result: ShellResult): CheckCommandError {
  const status = result.timedOut ? "timed out" : `exit ${result.exitCode ?? result.signal}`;
  return new CheckCommandError(
    `check ${checkId}: read-only command failed on ${result.node} (${status}): ${result.command}\n${result.stderr.trim()}`,
  );
}
