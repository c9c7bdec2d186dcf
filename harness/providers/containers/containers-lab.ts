import { InfrastructureError, InputError } from "../../model/errors.ts";
import type { Lab } from "../../model/lab.ts";
import { nodeBatch, type PortMap, portMapOf, switchBridgeLines, switchPortLines } from "../namespace-lab/build.ts";
import { type LabNode, nodeNamed, type StartedLab, type SwitchPortSettings } from "../provider.ts";
import { LABEL, removeLabelled } from "./engine.ts";
import {
  findContainer,
  hostPid,
  type LabContainerHandle,
  NODE_HOST_CONFIG,
  SWITCH_HOST_CONFIG,
  startContainer,
} from "./lab-containers.ts";

export interface ContainersLabOptions {
  readonly lab: Lab;
  readonly provider: string;
  readonly kernel: string;
  readonly image: string;
  /** Tells this state root's labs from another's on one engine (see labInstanceId). */
  readonly instance: string;
  readonly outlivesProcess?: boolean;
  readonly onFirstResource?: () => Promise<void>;
  /** Runs once the containers are gone (the provider removes the lab's state dir). */
  readonly afterDown: () => Promise<void>;
}

/** The labels every container of one lab instance carries: what `down` removes by. */
export function labLabels(instance: string, lab: string): Record<string, string> {
  return { [LABEL.instance]: instance, [LABEL.lab]: lab };
}

/** Container names are global on an engine: the instance and the lab in each (`.` is in neither name). */
export function containerName(instance: string, lab: string, node?: string): string {
  return node === undefined ? `macvlab-${instance}.${lab}` : `macvlab-${instance}.${lab}.${node}`;
}

/**
 * A lab whose nodes are containers on a Docker engine, and whose switch is one more container holding
 * a bridge per segment; each NIC a veth pair between a node and the switch, exactly as on netns (same
 * names, MACs and switch ports), so the same checks give the same verdicts.
 */
export class ContainersLab implements StartedLab {
  private stopping?: Promise<void>;

  private constructor(
    private readonly options: ContainersLabOptions,
    private readonly fabric: LabContainerHandle,
    private readonly ports: PortMap,
    readonly nodes: readonly LabNode[],
    private readonly attached: boolean,
  ) {}

  get lab(): Lab {
    return this.options.lab;
  }
  get kernel(): string {
    return this.options.kernel;
  }
  get provider(): string {
    return this.options.provider;
  }

  static async build(options: ContainersLabOptions): Promise<ContainersLab> {
    const { lab, instance, image } = options;
    // The provider's `up` has cleared what a crashed run left of this lab (its `down` first).
    const labels = labLabels(instance, lab.name);
    const outlivesProcess = options.outlivesProcess;
    const started: LabContainerHandle[] = [];
    try {
      const fabric = await startContainer(
        {
          image,
          name: containerName(instance, lab.name),
          labels: { ...labels, [LABEL.role]: "switch" },
          host: SWITCH_HOST_CONFIG,
          outlivesProcess,
        },
        "switch",
      );
      started.push(fabric);
      await options.onFirstResource?.();
      const names = Object.keys(lab.nodes);
      // All at once; every one settled before going on, so a failure leaves no start still under way.
      const results = await Promise.allSettled(
        names.map((node) =>
          startContainer(
            {
              image,
              name: containerName(instance, lab.name, node),
              hostname: node,
              labels: { ...labels, [LABEL.role]: "node", [LABEL.node]: node },
              host: NODE_HOST_CONFIG,
              outlivesProcess,
            },
            node,
          ),
        ),
      );
      for (const result of results) if (result.status === "fulfilled") started.push(result.value);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      const nodes = started.slice(1);
      const ports = portMapOf(lab);
      await wire(lab, fabric, nodes, ports);
      return new ContainersLab(options, fabric, ports, nodeHandles(nodes, names), false);
    } catch (error) {
      await removeLabelled(labels).catch(() => {});
      if (error instanceof InputError || error instanceof InfrastructureError) throw error;
      throw new InfrastructureError(`lab ${lab.name} failed to come up on containers: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Connects to a lab another command brought up (`lab up`), by its labels; `down()` only disconnects. */
  static async attach(options: ContainersLabOptions): Promise<ContainersLab> {
    const { lab, instance } = options;
    const labels = labLabels(instance, lab.name);
    const notUp = (what: string) =>
      new InputError(
        `lab ${lab.name} is not up on containers (${what}; start it with \`macvlab lab up ${lab.name} --provider containers\`)`,
      );
    const fabric = await findContainer({ ...labels, [LABEL.role]: "switch" }, "switch");
    if (!fabric) throw notUp("no switch container runs");
    const names = Object.keys(lab.nodes);
    const nodes: LabContainerHandle[] = [];
    for (const node of names) {
      const found = await findContainer({ ...labels, [LABEL.role]: "node", [LABEL.node]: node }, node);
      if (!found) throw notUp(`node ${node} does not run`);
      nodes.push(found);
    }
    return new ContainersLab(options, fabric, portMapOf(lab), nodeHandles(nodes, names), true);
  }

  node(name: string): LabNode {
    return nodeNamed(this.lab.name, this.nodes, name);
  }

  async setSwitchPort(node: string, nic: string, settings: SwitchPortSettings): Promise<void> {
    const port = this.ports.ports[`${node}/${nic}`];
    if (!port) throw new InfrastructureError(`lab ${this.lab.name}: no switch port for ${node}/${nic}`);
    const lines: string[] = [];
    if (settings.hairpin !== undefined)
      lines.push(`bridge link set dev ${port} hairpin ${settings.hairpin ? "on" : "off"}`);
    // The switch's end of the node's veth: down there is carrier lost on the node's NIC, as a pulled cable.
    if (settings.link) lines.push(`ip link set dev ${port} ${settings.link}`);
    for (const line of lines) await this.fabric.shell.exec(line, { reject: true });
  }

  async switchEvidence(): Promise<string> {
    const [links, fdb] = await Promise.all([
      this.fabric.shell.exec("bridge -d link show", { reject: true }),
      this.fabric.shell.exec("bridge fdb show", { reject: true }),
    ]);
    return `# bridge -d link show (switch)\n${links.stdout}\n# bridge fdb show (switch)\n${fdb.stdout}`;
  }

  async switchPorts(): Promise<string> {
    return (await this.fabric.shell.exec("bridge -j -d link show", { reject: true })).stdout;
  }

  /** Commands are execs: there is no connection to close. The containers stay for later commands. */
  async release(): Promise<void> {}

  down(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.attached) return;
      await removeLabelled(labLabels(this.options.instance, this.lab.name));
      await this.options.afterDown();
    })();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }
}

function nodeHandles(handles: readonly LabContainerHandle[], names: readonly string[]): LabNode[] {
  return handles.map((handle, i) => ({ name: names[i] ?? handle.name, shell: handle.shell }));
}

/**
 * One script in the switch: its bridges, then for each node (entered by pid) its NICs as veth pairs
 * whose other end lands in the switch (fd 3), then every switch port into its bridge.
 */
async function wire(lab: Lab, fabric: LabContainerHandle, nodes: readonly LabContainerHandle[], ports: PortMap) {
  const batch = (lines: readonly string[]) => `ip -b - <<'EOF'\n${lines.join("\n")}\nEOF`;
  const script = ["set -e", batch(["link set dev lo up", ...switchBridgeLines(ports)]), "exec 3</proc/self/ns/net"];
  const names = Object.keys(lab.nodes);
  for (const [n, handle] of nodes.entries()) {
    const node = names[n] ?? "";
    script.push(`nsenter -t ${await hostPid(handle)} -n ${batch(nodeBatch(lab, node, n, ports).split("\n"))}`);
  }
  const portLines = switchPortLines(lab, ports);
  if (portLines.length) script.push(batch(portLines));
  const result = await fabric.shell.exec(script.join("\n"), { timeoutMs: 30_000 + 500 * nodes.length });
  if (result.failed)
    throw new InfrastructureError(
      `lab ${lab.name}: wiring the nodes to the switch failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
}
