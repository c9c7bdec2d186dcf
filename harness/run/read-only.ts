import { InputError } from "../model/errors.ts";
import type { Scenario } from "../model/scenario.ts";
import { checkCommands } from "./check-commands.ts";
import { defaultDeadlineMs } from "./check-probe.ts";

const NETNS = String.raw`(ip netns exec [A-Za-z0-9_.-]+ )?`;
const IF = String.raw`[A-Za-z][A-Za-z0-9_.@-]{0,14}`;
const PCAP = String.raw`/run/macvlab-[a-z0-9-]+\.pcap`;

/**
 * What a check may run on a student's lab: inspectors only. Grading refuses a scenario whose checks
 * would run anything else, before it touches a node.
 */
export const READ_ONLY_COMMANDS: readonly RegExp[] = [
  new RegExp(String.raw`^${NETNS}env LC_ALL=C ping -n -c \d+ (-i [\d.]+ )?-W \d+ (-w \d+ )?[\d.]+$`),
  new RegExp(String.raw`^${NETNS}ip -j( -d)? (link|addr|route|neigh) show( dev ${IF})?$`),
  new RegExp(String.raw`^${NETNS}bridge -j (fdb|link|vlan) show$`),
  new RegExp(String.raw`^${NETNS}cat /proc/sys/[a-z0-9_/.-]+$`),
  new RegExp(String.raw`^timeout \d+ tcpdump -e -nn -U -i ${IF} -c \d+ -w ${PCAP}$`),
  new RegExp(String.raw`^tcpdump -e -nn -r ${PCAP}$`),
  // The capture's own file in the node's private /run, and nothing else.
  new RegExp(String.raw`^base64 -w0 (${PCAP}) && rm -f \1$`),
];

export function isReadOnly(command: string): boolean {
  return READ_ONLY_COMMANDS.some((re) => re.test(command));
}

export function assertChecksReadOnly(scenario: Scenario): void {
  const offending = scenario.checks.flatMap((check) =>
    checkCommands(check, defaultDeadlineMs(check))
      .filter(({ command }) => !isReadOnly(command))
      .map(({ node, command }) => `check ${check.id} would run on ${node}: ${command}`),
  );
  if (offending.length) throw new InputError(`${scenario.file}: checks must only inspect the lab`, offending);
}
