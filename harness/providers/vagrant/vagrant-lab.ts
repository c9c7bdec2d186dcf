import { InfrastructureError } from "../../model/errors.ts";
import type { Lab } from "../../model/lab.ts";
import { type LabNode, nodeNamed, type StartedLab, type SwitchPortSettings } from "../provider.ts";

/** A lab whose nodes are Vagrant machines, one SSH session (as root via sudo) per machine. */
export class VagrantLab implements StartedLab {
  readonly provider = "vagrant";
  private stopping?: Promise<void>;

  constructor(
    readonly lab: Lab,
    readonly kernel: string,
    readonly nodes: readonly LabNode[],
    private readonly destroy: () => Promise<void>,
  ) {}

  node(name: string): LabNode {
    return nodeNamed(this.lab.name, this.nodes, name);
  }

  /** VirtualBox internal networks and Docker bridges are not ours to configure (capabilities switch-hairpin and switch-link are absent). */
  async setSwitchPort(node: string, nic: string, _settings: SwitchPortSettings): Promise<void> {
    throw new InfrastructureError(
      `vagrant provider: cannot change the switch port of ${node}/${nic}: the hypervisor's switch is not reachable (switch-hairpin and switch-link are not offered; run this scenario with --provider netns or uml)`,
    );
  }

  async release(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.shell.close()));
  }

  down(): Promise<void> {
    this.stopping ??= (async () => {
      await this.release();
      await this.destroy();
    })();
    return this.stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.down();
  }
}
