import type { z } from "zod";
import { CheckCommandError } from "../model/errors.ts";
import { ContainerName, NetnsName } from "../model/names.ts";
import type { ShellResult } from "../transport/shell.ts";
import type { Place } from "./check-kind.ts";

/** Where on a node a check's command runs: the node itself, a network namespace, or a Docker container. */
export interface InPlace {
  readonly netns?: string;
  readonly container?: string;
}

/** The fields of a spec that say where on its node it looks; at most one of them (see oneOrNoPlace). */
export const PLACE_FIELDS = { netns: NetnsName.optional(), container: ContainerName.optional() };

/** A spec names a namespace or a container, not both. */
export const oneOrNoPlace = [
  (spec: InPlace) => !(spec.netns && spec.container),
  { message: "name a netns or a container, not both" },
] as const satisfies [(spec: InPlace) => boolean, z.core.$ZodCustomParams];

/**
 * The node's own tools in a container's network namespace, found through its engine: a container
 * that is not running (no sandbox) makes this exit 125, never an empty `--net=` (which nsenter would
 * end with 1, read by ping as "no reply").
 */
const CONTAINER_ENTER =
  `sh -c 'k=$(docker container inspect --format "{{.NetworkSettings.SandboxKey}}" -- "$0") && [ -n "$k" ] || exit 125; ` +
  `exec nsenter --net="$k" -- "$@"'`;

/** A command inside a namespace (`ip netns exec`) or a container's network namespace on the node. */
export function inPlace(place: InPlace, command: string): string {
  if (place.container) return `${CONTAINER_ENTER} ${place.container} ${command}`;
  return place.netns ? `ip netns exec ${place.netns} ${command}` : command;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The optional `ip netns exec NAME ` or container prefix, as the read-only patterns accept it. */
export const PLACE_PREFIX = `(ip netns exec [A-Za-z0-9_.-]+ |${escapeRegExp(CONTAINER_ENTER)} [A-Za-z0-9][A-Za-z0-9_.-]* )?`;
/** An interface name as the schema admits it. */
export const IFNAME_PATTERN = `[A-Za-z][A-Za-z0-9_.@-]{0,14}`;

export function where(place: Place): string {
  if (place.container) return `${place.node}/${place.container} (container)`;
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
