import { kindOf } from "../checks/registry.ts";
import { atMost, NODES_AT_ONCE } from "../model/at-most.ts";
import type { StartedLab } from "../providers/provider.ts";
import type { CheckSpec } from "../scenario/schema.ts";
import type { Recorder } from "./recorder.ts";

const NODE_EVIDENCE = [
  "ip -d link show",
  "ip -j addr show",
  "ip -j route show",
  "bridge fdb show",
  "iptables-save",
  "cat /proc/sys/net/ipv4/ip_forward",
  "ip netns list",
];

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
export async function attachEvidence(lab: StartedLab, check: CheckSpec, recorder: Recorder): Promise<void> {
  const namespaces = kindOf(check)
    .places()
    .filter((p) => p.netns);
  const places = [...lab.nodes.map((n) => ({ node: n.name, netns: undefined as string | undefined })), ...namespaces];
  await atMost(NODES_AT_ONCE, places, async ({ node, netns }) => {
    const result = await lab
      .node(node)
      .shell.exec(script(netns), { timeoutMs: 10_000 })
      .catch((e: Error) => ({ stdout: `evidence unavailable: ${e.message}`, stderr: "" }));
    await recorder.attach(`evidence ${netns ? `${node}/${netns}` : node}`, result.stdout + result.stderr, "text/plain");
  });
  if (lab.switchEvidence) {
    const view = await lab.switchEvidence().catch((e: Error) => e.message);
    await recorder.attach("evidence switch", view, "text/plain");
  }
}
