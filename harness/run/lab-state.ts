import { atMost, NODES_AT_ONCE } from "../model/at-most.ts";
import { InfrastructureError } from "../model/errors.ts";
import {
  NODE_STATE_SCRIPT,
  type NodeState,
  nodeStateDiff,
  parseNodeState,
  parseSwitchPorts,
  switchPortsDiff,
} from "../parse/node-state.ts";
import type { StartedLab } from "../providers/provider.ts";

/** Every node's state, and the switch's ports where the provider owns the switch. */
export interface LabState {
  readonly nodes: Readonly<Record<string, NodeState>>;
  readonly switchPorts?: Readonly<Record<string, string>>;
}

/**
 * A deadline, not a speed: inside UML, with a Docker engine on each node and other kernels busy on
 * the same two CPUs, reading a node's state has taken over 30 s (two Docker labs failed at acquire so).
 */
const STATE_TIMEOUT_MS = 120_000;

/** One command per node, a few nodes at a time (see NODES_AT_ONCE). */
export async function labState(lab: StartedLab): Promise<LabState> {
  const nodes: Record<string, NodeState> = {};
  await atMost(NODES_AT_ONCE, lab.nodes, async (node) => {
    const result = await node.shell.exec(NODE_STATE_SCRIPT, { timeoutMs: STATE_TIMEOUT_MS });
    if (result.failed || result.truncated)
      throw new InfrastructureError(
        `node ${node.name}: reading its state failed (${result.truncated ? "output over the cap" : `exit ${result.exitCode ?? result.signal ?? "timeout"}`}): ${result.stderr.trim()}`,
      );
    nodes[node.name] = parseNodeState(result.stdout);
  });
  const switchPorts = lab.switchPorts ? parseSwitchPorts(await lab.switchPorts()) : undefined;
  return { nodes, switchPorts };
}

/** What differs from `before`, each line naming the node (or the switch); empty when nothing does. */
export function labStateDiff(before: LabState, after: LabState): string[] {
  const lines: string[] = [];
  for (const [name, was] of Object.entries(before.nodes)) {
    const is = after.nodes[name];
    if (is) for (const line of nodeStateDiff(was, is)) lines.push(`${name}: ${line}`);
  }
  if (before.switchPorts && after.switchPorts) lines.push(...switchPortsDiff(before.switchPorts, after.switchPorts));
  return lines;
}
