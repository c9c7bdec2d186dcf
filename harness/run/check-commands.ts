import type { CaptureCheckSpec, CheckSpec, LinkCheckSpec, PingCheckSpec, RouteCheckSpec, SysctlCheckSpec } from "../model/scenario.ts";
import { inNetns } from "./recorded-exec.ts";

/** Every command a check runs is built here, so what grading may run can be listed and vetted up front. */
export function pingCommand(spec: PingCheckSpec, deadlineMs: number): string {
  if (spec.expect === "unreachable") {
    // Several probes, all inside the deadline: the check ends at its deadline, not after ping's defaults.
    const seconds = Math.max(1, Math.round(deadlineMs / 1000));
    return inNetns(spec.netns, `env LC_ALL=C ping -n -c ${spec.count ?? 3} -i 0.3 -W 1 -w ${seconds} ${spec.to}`);
  }
  const count = spec.count ?? 1;
  return inNetns(spec.netns, `env LC_ALL=C ping -n -c ${count} ${count > 1 ? "-i 0.2 " : ""}-W 1 ${spec.to}`);
}

export const routeCommand = (spec: RouteCheckSpec) => inNetns(spec.netns, "ip -j route show");
export const linkCommand = (spec: Pick<LinkCheckSpec, "netns" | "dev">, details = true) => inNetns(spec.netns, `ip -j${details ? " -d" : ""} link show dev ${spec.dev}`);
export const sysctlCommand = (spec: SysctlCheckSpec) => inNetns(spec.netns, `cat /proc/sys/${spec.key.replaceAll(".", "/")}`);

export const CAPTURE_SECONDS = 3;

export function captureCommands(checkId: string, spec: CaptureCheckSpec) {
  const file = `/run/macvlab-${checkId}.pcap`;
  return {
    file,
    capture: `timeout ${CAPTURE_SECONDS} tcpdump -e -nn -U -i ${spec.dev} -c 50 -w ${file}`,
    traffic: inNetns(spec.traffic.netns, `env LC_ALL=C ping -n -c 3 -i 0.2 -W 1 ${spec.traffic.to}`),
    read: `tcpdump -e -nn -r ${file}`,
    fetchAndRemove: `base64 -w0 ${file} && rm -f ${file}`,
  };
}

/** The commands of one check, with the node each runs on (a `step` check runs none: it reads a recorded result). */
export function checkCommands(check: CheckSpec, deadlineMs: number): Array<{ node: string; command: string }> {
  if (check.ping) return [{ node: check.ping.from, command: pingCommand(check.ping, deadlineMs) }];
  if (check.route) return [{ node: check.route.node, command: routeCommand(check.route) }];
  if (check.link) return [{ node: check.link.node, command: linkCommand(check.link) }];
  if (check.mac) return [check.mac.a, check.mac.b].map((side) => ({ node: side.node, command: linkCommand(side, false) }));
  if (check.sysctl) return [{ node: check.sysctl.node, command: sysctlCommand(check.sysctl) }];
  if (check.capture) {
    const c = captureCommands(check.id, check.capture);
    return [
      { node: check.capture.node, command: c.capture },
      { node: check.capture.traffic.from, command: c.traffic },
      { node: check.capture.node, command: c.read },
      { node: check.capture.node, command: c.fetchAndRemove },
    ];
  }
  return [];
}
