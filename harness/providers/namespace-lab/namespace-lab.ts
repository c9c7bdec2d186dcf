import { randomBytes } from "node:crypto";
import { atMost } from "../../model/at-most.ts";
import { InfrastructureError, InputError } from "../../model/errors.ts";
import { dockerNodes, type Lab } from "../../model/lab.ts";
import { SshSession } from "../../transport/ssh-session.ts";
import { type LabNode, nodeNamed, type StartedLab, type SwitchPortSettings } from "../provider.ts";
import { createFabric, nodeFstab, type PortMap, parsePortMap, portMapOf, startNodes } from "./build.ts";
import { startEngines } from "./docker-engine.ts";
import { type LabHost, mustRun, type SshdChannel } from "./lab-host.ts";
import { NetnsLayout } from "./layout.ts";
import { type NodeLogins, writeNodeLogins } from "./logins.ts";
import { nodePasswd, nodePasswdNow } from "./node-passwd.ts";
import { prepareStateDir } from "./state-dir.ts";
import { teardown } from "./teardown.ts";

export interface NamespaceLabOptions {
  readonly host: LabHost;
  readonly lab: Lab;
  readonly provider: string;
  readonly kernel: string;
  /** The lab's state directory on `host`. */
  readonly dir: string;
  /** Runs after the namespaces are gone (the uml provider stops its kernel here). */
  readonly afterDown?: () => Promise<void>;
  /**
   * Runs once this process has let go of a lab that stays up: after `release()`, and after `down()`
   * of an attached lab (a kept uml kernel: the console is closed, a new lab handed to its keeper).
   */
  readonly afterRelease?: () => Promise<void>;
  /** Attached to a lab someone else brought up (grading): `down()` only disconnects. */
  readonly attached?: boolean;
  /** See UpOptions: called once the fabric namespace exists. */
  readonly onFirstResource?: () => Promise<void>;
  /**
   * SSH sessions opened or closed at once. The uml provider says 4: its console stalls for good when
   * more than about 4 KiB reach it in one burst (64 handshakes at once do). @default 8
   */
  readonly sessionsAtOnce?: number;
  /**
   * The host ends with the lab (a UML kernel stopped in `afterDown`): `down` stops it at once instead
   * of closing each session and clearing the namespaces inside a kernel about to go.
   */
  readonly hostEndsWithLab?: boolean;
  /** The longest command a node's connection carries (see SshSessionOptions.maxCommandBytes). */
  readonly maxCommandBytes?: number;
  /** Where nodes' Docker engines find (and leave) their images, on `host`; needed by a lab with `docker` nodes. */
  readonly imageCache?: string;
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
    /** An attach's own keys and configs, removed when it disconnects. */
    private readonly attachLogins?: string,
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
      await prepareStateDir(host, layout, { provider: options.provider, lab: lab.name });
      const ports = portMapOf(lab);
      const logins = await writeNodeLogins(host, layout.buildLogins, Object.keys(lab.nodes), [
        { path: layout.passwd, content: await nodePasswd() },
        { path: layout.fstab, content: nodeFstab(layout) },
        { path: layout.portsJson, content: JSON.stringify(ports) },
      ]);
      await createFabric(host, layout, ports);
      await options.onFirstResource?.();
      await startNodes(host, layout, lab, ports);
      if (dockerNodes(lab).length) {
        if (!options.imageCache)
          throw new InfrastructureError(`${options.provider}: lab ${lab.name} has Docker nodes and no image cache`);
        await startEngines(host, layout, lab, options.imageCache);
      }
      await connectNodes(host, layout, lab, logins, daemons, nodes, {
        atOnce: options.sessionsAtOnce,
        maxCommandBytes: options.maxCommandBytes,
      });
      return new NamespaceLab(options, layout, ports, nodes, daemons);
    } catch (error) {
      await closeAll(nodes, daemons, options.sessionsAtOnce);
      const lostPins = error instanceof InputError ? "" : await pinsLost(host, layout).catch(() => "");
      // A host that ends with the lab is stopped by the provider's own failure path.
      if (!options.hostEndsWithLab) await teardown(host, dir).catch(() => {});
      if (error instanceof InputError) throw error;
      if (error instanceof InfrastructureError && !lostPins) throw error;
      throw new InfrastructureError(
        `lab ${lab.name} failed to come up on ${host.description}: ${(error as Error).message}${lostPins}`,
        { cause: error },
      );
    }
  }

  /**
   * Connects to a lab that is already up (a trainer's `macvlab lab up`), without changing what it
   * runs. Nothing that grants a login is taken from the state dir: this attach writes its own keys
   * and sshd_configs (removed when it disconnects), the nodes' passwd is rewritten in place if it is
   * not what the harness would write, and ports.json must hold switch port names and nothing else.
   */
  static async attach(options: NamespaceLabOptions): Promise<NamespaceLab> {
    const { host, lab } = options;
    const layout = new NetnsLayout(options.dir);
    const state = await host.run(["cat", layout.portsJson]);
    if (state.exitCode !== 0)
      throw new InputError(
        `lab ${lab.name} is not up on ${host.description} (start it with \`macvlab lab up ${lab.name}\`)`,
      );
    const ports = parsePortMap(state.stdout, layout.portsJson);
    await restorePasswd(host, layout);
    const attachDir = layout.attachLogins(`${process.pid}-${randomBytes(4).toString("hex")}`);
    const daemons: SshdChannel[] = [];
    const nodes: LabNode[] = [];
    try {
      const logins = await writeNodeLogins(host, attachDir, Object.keys(lab.nodes));
      await connectNodes(host, layout, lab, logins, daemons, nodes, {
        atOnce: options.sessionsAtOnce,
        maxCommandBytes: options.maxCommandBytes,
      });
    } catch (error) {
      await closeAll(nodes, daemons, options.sessionsAtOnce);
      await host.run(["rm", "-rf", "--", attachDir]);
      throw error;
    }
    return new NamespaceLab({ ...options, attached: true }, layout, ports, nodes, daemons, attachDir);
  }

  node(name: string): LabNode {
    return nodeNamed(this.lab.name, this.nodes, name);
  }

  async setSwitchPort(node: string, nic: string, settings: SwitchPortSettings): Promise<void> {
    const port = this.ports.ports[`${node}/${nic}`];
    if (!port) throw new InfrastructureError(`lab ${this.lab.name}: no switch port for ${node}/${nic}`);
    const fabric = this.layout.enterFabric();
    if (settings.hairpin !== undefined)
      await mustRun(this.options.host, [
        ...fabric,
        "bridge",
        "link",
        "set",
        "dev",
        port,
        "hairpin",
        settings.hairpin ? "on" : "off",
      ]);
    // The fabric's end of the node's veth: down there is carrier lost on the node's NIC, as a pulled cable.
    if (settings.link) await mustRun(this.options.host, [...fabric, "ip", "link", "set", "dev", port, settings.link]);
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

  switchPorts(): Promise<string> {
    return mustRun(this.options.host, [...this.layout.enterFabric(), "bridge", "-j", "-d", "link", "show"]);
  }

  async release(): Promise<void> {
    await this.disconnect();
    await this.options.afterRelease?.();
  }

  private disconnect(): Promise<void> {
    return closeAll(this.nodes, this.daemons, this.options.sessionsAtOnce);
  }

  down(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.options.hostEndsWithLab && !this.options.attached && this.options.afterDown) {
        try {
          await this.options.afterDown();
        } finally {
          await this.disconnect();
        }
        return;
      }
      await this.disconnect();
      if (this.options.attached) {
        try {
          if (this.attachLogins) await this.options.host.run(["rm", "-rf", "--", this.attachLogins]);
        } finally {
          await this.options.afterRelease?.();
        }
        return;
      }
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

const SESSIONS_AT_ONCE = 8;

/** Closes sessions, then their sshds, a few at a time; closing what may already be gone is no failure. */
async function closeAll(nodes: readonly LabNode[], daemons: readonly SshdChannel[], atOnce = SESSIONS_AT_ONCE) {
  await atMost(atOnce, nodes, (n) => n.shell.close().catch(() => {}));
  await atMost(atOnce, daemons, (d) => d.stop().catch(() => {}));
}

/**
 * One `sshd -i` per node inside its namespaces, and an SSH session over it, a few nodes at a time.
 * `nodes` comes out in the lab's order; whatever was opened is in `daemons` / `nodes` even on failure.
 */
async function connectNodes(
  host: LabHost,
  layout: NetnsLayout,
  lab: Lab,
  logins: NodeLogins,
  daemons: SshdChannel[],
  nodes: LabNode[],
  { atOnce = SESSIONS_AT_ONCE, maxCommandBytes }: { atOnce?: number; maxCommandBytes?: number } = {},
): Promise<void> {
  const connected = new Map<string, LabNode>();
  try {
    await atMost(atOnce, Object.keys(lab.nodes), async (name) => {
      const login = logins.node(name);
      const daemon = await host
        .openSshd([...layout.enter(name), "/usr/sbin/sshd", "-i", "-e", "-f", login.sshdConfig])
        .catch((error: Error) => {
          throw new InfrastructureError(`node ${name}: its sshd could not start: ${error.message}`, { cause: error });
        });
      daemons.push(daemon);
      const shell = await SshSession.connect({
        node: name,
        sock: daemon.sock,
        hostKey: login.hostPublicKey,
        privateKey: logins.clientPrivateKey,
        diagnostics: () => daemon.stderr(),
        maxCommandBytes,
      });
      connected.set(name, { name, shell });
    });
  } finally {
    // In the lab's order, and whatever connected before a failure, so that the caller closes it.
    for (const name of Object.keys(lab.nodes)) {
      const node = connected.get(name);
      if (node) nodes.push(node);
    }
  }
}

/**
 * The nodes see the state dir's passwd as their /etc/passwd (a bind mount): it decides root's shell.
 * Rewritten in place (the mount keeps the inode) when it differs from what the harness writes.
 */
async function restorePasswd(host: LabHost, layout: NetnsLayout): Promise<void> {
  const { expected, seen } = await nodePasswdNow(host, layout);
  if (seen === expected) return;
  await host.writeFile(layout.passwd, expected, { replace: true });
}

/**
 * The nodes' namespace pins that are no namespace files (any more): a build that failed because
 * something outside the lab unmounted or deleted them says so (empty when every pin is whole).
 */
async function pinsLost(host: LabHost, layout: NetnsLayout): Promise<string> {
  const pins = `${layout.dir}/nodes/*/net ${layout.dir}/nodes/*/uts ${layout.dir}/nodes/*/mnt ${layout.dir}/nodes/*/pid`;
  const result = await host.run(["sh", "-c", `find ${pins} -maxdepth 0 ! -fstype nsfs 2>/dev/null`]);
  const lost = result.stdout.trim();
  return lost
    ? `\n(these namespace pins are no namespace files: something outside the lab unmounted or deleted them: ${lost.split("\n").join(" ")})`
    : "";
}
