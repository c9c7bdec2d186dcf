import * as allure from "allure-js-commons";
import type { CheckSpec } from "../model/scenario.ts";
import type { StartedLab } from "../providers/provider.ts";

const NODE_EVIDENCE = [
  "ip -d link show",
  "ip -j addr show",
  "ip -j route show",
  "bridge fdb show",
  "iptables-save",
  "cat /proc/sys/net/ipv4/ip_forward",
  "ip netns list",
];

/** The nodes and namespaces a check looks at. */
export function placesOf(check: CheckSpec): Array<{ node: string; netns?: string }> {
  if (check.ping) return [{ node: check.ping.from, netns: check.ping.netns }];
  if (check.route) return [check.route];
  if (check.link) return [check.link];
  if (check.sysctl) return [check.sysctl];
  if (check.mac) return [check.mac.a, check.mac.b];
  if (check.capture) return [{ node: check.capture.node }, { node: check.capture.traffic.from, netns: check.capture.traffic.netns }];
  return [];
}

function script(netns?: string): string {
  const inside = (cmd: string) => (netns ? `ip netns exec ${netns} ${cmd}` : cmd);
  const commands = netns ? ["ip -d link show", "ip -j addr show", "ip -j route show"].map(inside) : NODE_EVIDENCE;
  return commands.map((c) => `echo '### ${c}'; ${c} 2>&1`).join("; ");
}

/**
 * After a failure, what a network engineer would look at first, from every node of the lab (labs are
 * small and the cause is often on the other end): links, addresses, routes, fdb, iptables, forwarding,
 * plus the namespaces the check used and the switch's own view where the provider has one.
 */
export async function attachEvidence(lab: StartedLab, check: CheckSpec): Promise<void> {
  const places = [...lab.nodes.map((n) => ({ node: n.name, netns: undefined as string | undefined })), ...placesOf(check).filter((p) => p.netns)];
  await Promise.all(
    places.map(async ({ node, netns }) => {
      const result = await lab.node(node).shell.exec(script(netns), { timeoutMs: 10_000 }).catch((e: Error) => ({ stdout: `evidence unavailable: ${e.message}`, stderr: "" }));
      await allure.attachment(`evidence ${netns ? `${node}/${netns}` : node}`, result.stdout + result.stderr, "text/plain");
    }),
  );
  if (lab.switchEvidence) await allure.attachment("evidence switch", await lab.switchEvidence().catch((e: Error) => e.message), "text/plain");
}
