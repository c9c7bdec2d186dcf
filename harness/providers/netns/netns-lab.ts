import type { Lab } from "../../model/lab.ts";
import { InfrastructureError } from "../../model/errors.ts";
import { spawnSshdInetd, type SshdInetd } from "../../transport/child-duplex.ts";
import type { LabKeys } from "../../transport/keys.ts";
import { SshSession } from "../../transport/ssh-session.ts";
import { hostRun } from "../host-exec.ts";
import type { LabNode, StartedLab, SwitchPortSettings } from "../provider.ts";
import type { PortMap } from "./build.ts";
import type { NetnsLayout } from "./layout.ts";

interface ConnectOptions {
  readonly lab: Lab;
  readonly layout: NetnsLayout;
  readonly ports: PortMap;
  readonly keys: LabKeys;
  readonly kernel: string;
  readonly down: () => Promise<void>;
}

/** A running netns lab: one real SSH connection per node, to an `sshd -i` inside the node's namespaces. */
export class NetnsLab implements StartedLab {
  readonly provider = "netns";
  private stopping?: Promise<void>;

  private constructor(
    private readonly options: ConnectOptions,
    readonly nodes: readonly LabNode[],
    private readonly daemons: readonly SshdInetd[],
  ) {}

  get lab(): Lab { return this.options.lab; }
  get kernel(): string { return this.options.kernel; }

  static async connect(options: ConnectOptions): Promise<NetnsLab> {
    const daemons: SshdInetd[] = [];
    const nodes: LabNode[] = [];
    try {
      for (const name of Object.keys(options.lab.nodes)) {
        const daemon = spawnSshdInetd([...options.layout.enter(name), "/usr/sbin/sshd", "-i", "-e", "-f", options.layout.sshdConfig]);
        daemons.push(daemon);
        const shell = await SshSession.connect({
          node: name,
          sock: daemon.sock,
          hostKey: options.keys.hostPublicKey,
          privateKey: options.keys.clientPrivateKey,
          diagnostics: () => daemon.stderr(),
        });
        nodes.push({ name, shell });
      }
    } catch (error) {
      await Promise.allSettled(nodes.map((n) => n.shell.close()));
      await Promise.allSettled(daemons.map((d) => d.stop()));
      throw error;
    }
    return new NetnsLab(options, nodes, daemons);
  }

  node(name: string): LabNode {
    const found = this.nodes.find((n) => n.name === name);
    if (!found) throw new InfrastructureError(`lab ${this.lab.name} has no node "${name}" (nodes: ${this.nodes.map((n) => n.name).join(", ")})`);
    return found;
  }

  async setSwitchPort(node: string, nic: string, settings: SwitchPortSettings): Promise<void> {
    const port = this.options.ports.ports[`${node}/${nic}`];
    if (!port) throw new InfrastructureError(`lab ${this.lab.name}: no switch port for ${node}/${nic}`);
    await hostRun([...this.options.layout.enterFabric(), "bridge", "link", "set", "dev", port, "hairpin", settings.hairpin ? "on" : "off"]);
  }

  /** The switch's view (for evidence): forwarding database and port states of the fabric bridges. */
  async switchEvidence(): Promise<string> {
    const fabric = this.options.layout.enterFabric();
    const [links, fdb] = await Promise.all([hostRun([...fabric, "bridge", "-d", "link", "show"]), hostRun([...fabric, "bridge", "fdb", "show"])]);
    return `# bridge -d link show (fabric)\n${links}\n# bridge fdb show (fabric)\n${fdb}`;
  }

  async release(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.shell.close()));
    await Promise.allSettled(this.daemons.map((d) => d.stop()));
  }

  down(): Promise<void> {
    this.stopping ??= (async () => {
      await this.release();
      await this.options.down();
    })();
    return this.stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.down();
  }
}
