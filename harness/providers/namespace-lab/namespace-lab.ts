import { readFile } from "node:fs/promises";
import { InfrastructureError, InputError } from "../../model/errors.ts";
import type { Lab } from "../../model/lab.ts";
import { ensureLabKeys } from "../../transport/keys.ts";
import { SshSession } from "../../transport/ssh-session.ts";
import { sshdConfig } from "../../transport/sshd-config.ts";
import { type LabNode, nodeNamed, type StartedLab, type SwitchPortSettings } from "../provider.ts";
import { createFabric, createNode, neutralPasswd, type PortMap, plugNics } from "./build.ts";
import { type LabHost, mustRun, type SshdChannel } from "./lab-host.ts";
import { NetnsLayout } from "./layout.ts";
import { prepareStateDir, teardown } from "./teardown.ts";

export interface NamespaceLabOptions {
  readonly host: LabHost;
  readonly lab: Lab;
  readonly provider: string;
  readonly kernel: string;
  /** The lab's state directory on `host`. */
  readonly dir: string;
  /** Where the lab's SSH keys persist on this machine (the pinned host key survives re-runs). */
  readonly keysDir: string;
  /** Runs after the namespaces are gone (the uml provider stops its kernel here). */
  readonly afterDown?: () => Promise<void>;
  /** Attached to a lab someone else brought up (grading): `down()` only disconnects. */
  readonly attached?: boolean;
  /** See UpOptions: called once the fabric namespace exists. */
  readonly onFirstResource?: () => Promise<void>;
}

/**
 * A lab of nodes made of namespaces on a LabHost, one real SSH connection per node to an `sshd -i`
 * inside the node's namespaces. The netns provider builds it on this machine, the uml provider
 * inside a UML kernel: the same code either way.
 */
export class NamespaceLab implements StartedLab {
  private stopping?: Promise<void>;

  private constructor(
    private readonly options: NamespaceLabOptions,
    private readonly layout: NetnsLayout,
    private readonly ports: PortMap,
    readonly nodes: readonly LabNode[],
    private readonly daemons: readonly SshdChannel[],
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

  static async build(options: NamespaceLabOptions): Promise<NamespaceLab> {
    const { host, lab, dir } = options;
    const layout = new NetnsLayout(dir);
    // A crashed run may have left this lab behind: clear it before building on top.
    await teardown(host, dir);
    const daemons: SshdChannel[] = [];
    const nodes: LabNode[] = [];
    try {
      await prepareStateDir(host, dir);
      const keys = await ensureLabKeys(options.keysDir);
      await host.writeFile(layout.hostKey, await readFile(keys.hostKeyPath), 0o600);
      await host.writeFile(layout.authorizedKeys, await readFile(keys.authorizedKeysPath), 0o600);
      await host.writeFile(
        layout.sshdConfig,
        sshdConfig({ hostKeyPath: layout.hostKey, authorizedKeysPath: layout.authorizedKeys }),
      );
      await host.writeFile(layout.passwd, neutralPasswd(await readFile("/etc/passwd", "utf8")));
      const ports = await createFabric(host, layout, lab);
      await options.onFirstResource?.();
      for (const node of Object.keys(lab.nodes)) await createNode(host, layout, node);
      await plugNics(host, layout, lab, ports);
      await host.writeFile(layout.portsJson, JSON.stringify(ports));
      await connectNodes(host, layout, lab, options.keysDir, daemons, nodes);
      return new NamespaceLab(options, layout, ports, nodes, daemons);
    } catch (error) {
      await Promise.allSettled(nodes.map((n) => n.shell.close()));
      await Promise.allSettled(daemons.map((d) => d.stop()));
      await teardown(host, dir).catch(() => {});
      if (error instanceof InfrastructureError) throw error;
      throw new InfrastructureError(
        `lab ${lab.name} failed to come up on ${host.description}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Connects to a lab that is already up (a trainer's `macvlab lab up`), without changing it. */
  static async attach(options: NamespaceLabOptions): Promise<NamespaceLab> {
    const layout = new NetnsLayout(options.dir);
    const state = await options.host.run(["cat", layout.portsJson]);
    if (state.exitCode !== 0)
      throw new InputError(
        `lab ${options.lab.name} is not up on ${options.host.description} (start it with \`macvlab lab up ${options.lab.name}\`)`,
      );
    const daemons: SshdChannel[] = [];
    const nodes: LabNode[] = [];
    try {
      await connectNodes(options.host, layout, options.lab, options.keysDir, daemons, nodes);
    } catch (error) {
      await Promise.allSettled(nodes.map((n) => n.shell.close()));
      await Promise.allSettled(daemons.map((d) => d.stop()));
      throw error;
    }
    return new NamespaceLab(
      { ...options, attached: true },
      layout,
      JSON.parse(state.stdout) as PortMap,
      nodes,
      daemons,
    );
  }

  node(name: string): LabNode {
    return nodeNamed(this.lab.name, this.nodes, name);
  }

  async setSwitchPort(node: string, nic: string, settings: SwitchPortSettings): Promise<void> {
    const port = this.ports.ports[`${node}/${nic}`];
    if (!port) throw new InfrastructureError(`lab ${this.lab.name}: no switch port for ${node}/${nic}`);
    await mustRun(this.options.host, [
      ...this.layout.enterFabric(),
      "bridge",
      "link",
      "set",
      "dev",
      port,
      "hairpin",
      settings.hairpin ? "on" : "off",
    ]);
  }

  /** The switch's view (for evidence): port flags and forwarding database of the fabric bridges. */
  async switchEvidence(): Promise<string> {
    const fabric = this.layout.enterFabric();
    const [links, fdb] = await Promise.all([
      mustRun(this.options.host, [...fabric, "bridge", "-d", "link", "show"]),
      mustRun(this.options.host, [...fabric, "bridge", "fdb", "show"]),
    ]);
    return `# bridge -d link show (switch)\n${links}\n# bridge fdb show (switch)\n${fdb}`;
  }

  async release(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.shell.close()));
    await Promise.allSettled(this.daemons.map((d) => d.stop()));
  }

  down(): Promise<void> {
    this.stopping ??= (async () => {
      await this.release();
      if (this.options.attached) return;
      try {
        await teardown(this.options.host, this.options.dir);
      } finally {
        await this.options.afterDown?.();
      }
    })();
    return this.stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.down();
  }
}

/** One `sshd -i` per node inside its namespaces, and an SSH session over it. */
async function connectNodes(
  host: LabHost,
  layout: NetnsLayout,
  lab: Lab,
  keysDir: string,
  daemons: SshdChannel[],
  nodes: LabNode[],
): Promise<void> {
  const keys = await ensureLabKeys(keysDir);
  for (const name of Object.keys(lab.nodes)) {
    const daemon = await host.openSshd([...layout.enter(name), "/usr/sbin/sshd", "-i", "-e", "-f", layout.sshdConfig]);
    daemons.push(daemon);
    const shell = await SshSession.connect({
      node: name,
      sock: daemon.sock,
      hostKey: keys.hostPublicKey,
      privateKey: keys.clientPrivateKey,
      diagnostics: () => daemon.stderr(),
    });
    nodes.push({ name, shell });
  }
}
