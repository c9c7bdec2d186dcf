import type { Place } from "../checks/check-kind.ts";
import { kindOf } from "../checks/registry.ts";
import { inPlace, where } from "../checks/shared.ts";
import { atMost, NODES_AT_ONCE } from "../model/at-most.ts";
import type { StartedLab } from "../providers/provider.ts";
import type { CheckSpec } from "../scenario/schema.ts";
import { quoteWord } from "../transport/shell-quote.ts";
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
/**
 * A node's own Docker engine: its containers and networks as `docker` lists them, each network's
 * driver, options (parent, mode) and addresses, and the end of the engine's log (linked into the
 * node's private /run by the engine's start, see docker-engine.ts).
 */
const DOCKER_EVIDENCE = [
  "docker ps -a",
  "docker network ls",
  "docker network ls -q | xargs -r docker network inspect --format '{{.Name}}: driver {{.Driver}}, options {{json .Options}}, ipam {{json .IPAM.Config}}'",
  "tail -n 20 /run/macvlab-dockerd.log",
];

/** What a node shows of itself, or of a namespace or container on it (links, addresses, routes). */
function script(place: Place & { readonly docker?: boolean }): string {
  const inside = place.netns || place.container;
  const commands = inside
    ? ["ip -d link show", "ip -j addr show", "ip -j route show"].map((c) => inPlace(place, c))
    : [...NODE_EVIDENCE, ...(place.docker ? DOCKER_EVIDENCE : [])];
  return commands.map((c) => `echo ${quoteWord(`### ${c}`)}; ${c} 2>&1`).join("; ");
}

/**
 * After a failure, what a network engineer would look at first, from every node of the lab (labs are
 * small and the cause is often on the other end): links, addresses, routes, fdb, iptables, forwarding,
 * plus the namespaces or containers the check used, a node's own Docker engine's containers and
 * networks, and the switch's own view where the provider has one.
 */
export async function attachEvidence(lab: StartedLab, check: CheckSpec, recorder: Recorder): Promise<void> {
  const inside = kindOf(check)
    .places()
    .filter((p) => p.netns || p.container);
  const places: Array<Place & { docker?: boolean }> = [
    ...lab.nodes.map((n) => ({ node: n.name, docker: Boolean(lab.lab.nodes[n.name]?.docker) })),
    ...inside,
  ];
  await atMost(NODES_AT_ONCE, places, async (place) => {
    const result = await lab
      .node(place.node)
      .shell.exec(script(place), { timeoutMs: 10_000 })
      .catch((e: Error) => ({ stdout: `evidence unavailable: ${e.message}`, stderr: "" }));
    await recorder.attach(`evidence ${where(place)}`, result.stdout + result.stderr, "text/plain");
  });
  if (lab.switchEvidence) {
    const view = await lab.switchEvidence().catch((e: Error) => e.message);
    await recorder.attach("evidence switch", view, "text/plain");
  }
}
