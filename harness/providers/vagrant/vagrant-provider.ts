import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { InfrastructureError, InputError } from "../../model/errors.ts";
import { type Lab, LabSchema } from "../../model/lab.ts";
import { checkName, LabName } from "../../model/names.ts";
import { labStateNames, PROJECT_ROOT, stateDir } from "../../model/paths.ts";
import type { SshSession } from "../../transport/ssh-session.ts";
import { labInstanceId } from "../instance.ts";
import { probeCapabilities } from "../namespace-lab/capabilities.ts";
import { ShellHost } from "../namespace-lab/shell-host.ts";
import type {
  CapabilityReport,
  LabNode,
  Missing,
  Provider,
  StartedLab,
  StudentIsolation,
  UpOptions,
} from "../provider.ts";
import { assertOurs, createMarkedDir, removeMarkedDir } from "../state-marker.ts";
import { connectMachine, HostKeyPins } from "./guest-ssh.ts";
import { nicMarkers } from "./markers.ts";
import { assignNics, type GuestLink, nicScript } from "./nic-map.ts";
import { SudoShell } from "./sudo-shell.ts";
import { parseSshConfig, parseStatus, runVagrant, type VagrantResult, vagrantFailure } from "./vagrant-cli.ts";
import { VagrantLab } from "./vagrant-lab.ts";

export type VagrantBackend = "virtualbox" | "docker" | "libvirt";

export interface VagrantSettings {
  /** Vagrant's own provider: MACVLAB_VAGRANT_PROVIDER, else VAGRANT_DEFAULT_PROVIDER, else virtualbox. */
  readonly backend: VagrantBackend;
  /** `vagrant up` deadline: MACVLAB_VAGRANT_UP_TIMEOUT_MS, default 15 min (a box download included). */
  readonly upTimeoutMs: number;
  /** Every other vagrant call (status, ssh-config, destroy): MACVLAB_VAGRANT_TIMEOUT_MS, default 5 min. */
  readonly callTimeoutMs: number;
  /** SSH connect/handshake per machine: MACVLAB_VAGRANT_SSH_TIMEOUT_MS, default 30 s. */
  readonly sshTimeoutMs: number;
}

export function vagrantSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): VagrantSettings {
  const backend = env.MACVLAB_VAGRANT_PROVIDER || env.VAGRANT_DEFAULT_PROVIDER || "virtualbox";
  if (!["virtualbox", "docker", "libvirt"].includes(backend))
    throw new InputError(`MACVLAB_VAGRANT_PROVIDER=${backend}: choose virtualbox, docker or libvirt`);
  const ms = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new InputError(`${name}=${env[name]}: expected milliseconds > 0`);
    return value;
  };
  return {
    backend: backend as VagrantBackend,
    upTimeoutMs: ms("MACVLAB_VAGRANT_UP_TIMEOUT_MS", 900_000),
    callTimeoutMs: ms("MACVLAB_VAGRANT_TIMEOUT_MS", 300_000),
    sshTimeoutMs: ms("MACVLAB_VAGRANT_SSH_TIMEOUT_MS", 30_000),
  };
}

/** The probe lab is per process: `up` clears a lab of its name first, which would kill another run's probe. */
const PROBE_PREFIX = "capability-probe-";

/** What `down` needs to destroy a lab from its state alone (a crashed run's leftovers included). */
interface LabState {
  readonly backend: VagrantBackend;
  readonly labFile: string;
  readonly labName: string;
  /** labInstanceId() at `up` (absent in state written before it existed: the names had none). */
  readonly instance?: string;
}

/**
 * Each node is a Vagrant machine (VirtualBox VM by default; Docker container or libvirt VM on
 * request) from the top-level Vagrantfile, which reads the same labs/*.yaml. Wraps the vagrant CLI
 * (every call has a deadline), talks to each machine over real SSH (TCP to what `vagrant ssh-config`
 * reports, host key pinned per `up`), renames the guests' NICs to the lab's names.
 * Never chosen by `auto`: only `--provider vagrant`.
 */
export class VagrantProvider implements Provider {
  readonly name = "vagrant";
  readonly commandCost = 8;
  /** A VM per node: `--jobs auto` runs one lab at a time. */
  readonly oneLabAtATime = true;
  private report?: Promise<CapabilityReport>;
  private settingsCache?: VagrantSettings;

  constructor(private readonly explicitSettings?: VagrantSettings) {}

  private get settings(): VagrantSettings {
    this.settingsCache ??= this.explicitSettings ?? vagrantSettingsFromEnv();
    return this.settingsCache;
  }

  studentIsolation(): StudentIsolation {
    return this.settings.backend === "docker"
      ? {
          isolates: false,
          why: "Vagrant's docker backend makes containers with SYS_ADMIN: not a boundary between a node's root and this host",
        }
      : { isolates: true, why: `each node is a ${this.settings.backend} VM with a kernel and disk of its own` };
  }

  async missingRequirements(): Promise<readonly Missing[]> {
    const missing: Missing[] = [];
    const version = await runVagrant(["--version"], { cwd: PROJECT_ROOT, env: this.env(), timeoutMs: 60_000 });
    if (version.exitCode !== 0) {
      missing.push({
        what: "Vagrant",
        install: "apt-get install -y vagrant (or https://developer.hashicorp.com/vagrant/install)",
      });
      return missing;
    }
    const { backend } = this.settings;
    if (backend === "virtualbox" && !onPath("VBoxManage"))
      missing.push({
        what: "VirtualBox (VBoxManage) for Vagrant",
        install: "install VirtualBox from https://www.virtualbox.org, or set MACVLAB_VAGRANT_PROVIDER=docker",
      });
    if (backend === "docker") {
      if (!onPath("docker"))
        missing.push({ what: "docker CLI for Vagrant's docker provider", install: "apt-get install -y docker.io" });
      else if ((await run(["docker", "info", "--format", "{{.ServerVersion}}"], 20_000)).exitCode !== 0)
        missing.push({
          what: "a running Docker engine (DOCKER_HOST)",
          install:
            "start dockerd, e.g. harness/providers/vagrant/node-image/engine.sh start DIR, and export DOCKER_HOST",
        });
      else if (
        (await run(["docker", "image", "inspect", process.env.MACVLAB_NODE_IMAGE ?? "macvlab-node:latest"], 20_000))
          .exitCode !== 0
      )
        missing.push({
          what: `the node image ${process.env.MACVLAB_NODE_IMAGE ?? "macvlab-node:latest"}`,
          install: "harness/providers/vagrant/node-image/build.sh",
        });
    }
    if (backend === "libvirt") {
      const plugins = await runVagrant(["plugin", "list"], { cwd: PROJECT_ROOT, env: this.env(), timeoutMs: 60_000 });
      if (!/vagrant-libvirt/.test(plugins.stdout))
        missing.push({ what: "the vagrant-libvirt plugin", install: "vagrant plugin install vagrant-libvirt" });
    }
    return missing;
  }

  /**
   * Measured inside a throwaway one-node machine of the chosen backend, with the same probes as
   * netns. switch-hairpin and switch-link are absent whatever the kernel says: the switch is the hypervisor's.
   */
  capabilities(): Promise<CapabilityReport> {
    this.report ??= (async () => {
      // Beside the labs' state dirs, not inside the probe lab's own (up() clears that first).
      await mkdir(stateDir(this.name), { recursive: true });
      const probeName = `${PROBE_PREFIX}${process.pid}`;
      const file = join(stateDir(this.name), `.${probeName}.yaml`);
      const probeLab = LabSchema.parse({
        name: probeName,
        segments: { probe: { kind: "switch" } },
        nodes: { probe: { nics: [{ name: "enp0s3", segment: "probe", promiscuous: true }] } },
      });
      // The Vagrantfile reads the lab from this file, as it reads labs/*.yaml.
      await writeFile(file, JSON.stringify(probeLab, null, 2));
      const lab: Lab = { ...probeLab, file };
      const started = await this.up(lab);
      try {
        const { shell } = started.node("probe");
        const measured = await probeCapabilities(new ShellHost(shell, `vagrant machine ${shell.node}`), this.name);
        const has = new Set(measured.has);
        const absent = new Map(measured.absent);
        for (const [capability, what] of [
          ["switch-hairpin", "no hairpin control"],
          ["switch-link", "no control of its ports' links"],
        ] as const) {
          has.delete(capability);
          absent.set(
            capability,
            `vagrant: the ${this.settings.backend} switch is not reachable from the harness (${what})`,
          );
        }
        // The Vagrantfile does not provision a node's own Docker engine (yet): a guest's docker.io is not one.
        has.delete("docker");
        absent.set("docker", "vagrant: the Vagrantfile provisions no Docker engine per node yet");
        return { ...measured, has, absent };
      } finally {
        await started.down();
        await rm(file, { force: true });
      }
    })();
    return this.report;
  }

  async up(lab: Lab, options?: UpOptions): Promise<StartedLab> {
    const { backend } = this.settings;
    if (backend === "docker")
      for (const [node, spec] of Object.entries(lab.nodes)) {
        const segments = spec.nics.map((n) => n.segment);
        const twice = segments.find((s, i) => segments.indexOf(s) !== i);
        if (twice)
          throw new InputError(
            `lab ${lab.name}: node ${node} has two NICs on segment ${twice}; Docker cannot connect a container to one network twice (use MACVLAB_VAGRANT_PROVIDER=virtualbox, or --provider netns/uml)`,
          );
      }
    const dir = stateDir(this.name, lab.name);
    await this.down(lab.name);
    await createMarkedDir(dir, { provider: this.name, lab: lab.name });
    const state: LabState = { backend, labFile: resolve(lab.file), labName: lab.name, instance: labInstanceId() };
    await writeFile(join(dir, "state.json"), JSON.stringify(state, null, 2));
    const env = this.env(dir, state);
    const destroy = () => this.destroyDir(dir, env);
    const what = `vagrant lab ${lab.name} (${backend})`;

    const sessions: SshSession[] = [];
    try {
      const up = await runVagrant(["up", `--provider=${backend}`, "--no-parallel"], {
        cwd: PROJECT_ROOT,
        env,
        timeoutMs: this.settings.upTimeoutMs,
      });
      if (up.exitCode !== 0)
        throw vagrantFailure(up, { what, provider: backend, timeoutMs: this.settings.upTimeoutMs });
      await options?.onFirstResource?.();
      const status = parseStatus((await this.call(["status", "--machine-readable"], env, what)).stdout);
      for (const node of Object.keys(lab.nodes)) {
        const state = status.get(node);
        if (state !== "running")
          throw new InfrastructureError(
            `${what}: machine ${node} is ${state ?? "unknown to vagrant"} after \`vagrant up\` (expected running); see \`vagrant status ${node}\` with VAGRANT_DOTFILE_PATH=${join(dir, "dot")}`,
          );
      }
      const pins = new HostKeyPins(join(dir, "host-keys"));
      await pins.reset();
      const { nodes, kernel } = await this.connectNodes(lab, env, what, pins, sessions, async (node, shell) =>
        this.mapNics(lab, node, shell, state.instance),
      );
      return new VagrantLab(lab, kernel, nodes, destroy);
    } catch (error) {
      await Promise.allSettled(sessions.map((s) => s.close()));
      await destroy().catch(() => {});
      if (error instanceof InputError || error instanceof InfrastructureError) throw error;
      throw new InfrastructureError(`${what} failed to come up: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Connects to a lab `lab up --provider vagrant` left running: its machines must be running, and each
   * must present the host key pinned when the lab came up (a machine replaced since is refused). NICs
   * keep the names `up` gave them. `down()` of what this returns only disconnects.
   */
  async attach(lab: Lab): Promise<StartedLab> {
    const dir = stateDir(this.name, lab.name);
    const notUp = () =>
      new InputError(
        `lab ${lab.name} is not up on vagrant (start it with \`macvlab lab up ${lab.name} --provider vagrant\`)`,
      );
    if (!existsSync(dir)) throw notUp();
    await assertOurs(dir);
    const state = parseLabState(
      await readFile(join(dir, "state.json"), "utf8").catch(() => ""),
      join(dir, "state.json"),
    );
    if (state.labName !== lab.name)
      throw new InputError(`${join(dir, "state.json")}: it is the state of lab ${state.labName}, not ${lab.name}`);
    const env = this.env(dir, state);
    const what = `vagrant lab ${lab.name} (${state.backend})`;
    const status = parseStatus((await this.call(["status", "--machine-readable"], env, what)).stdout);
    const stopped = Object.keys(lab.nodes).filter((node) => status.get(node) !== "running");
    if (stopped.length) throw new InputError(`${notUp().message}: machine ${stopped.join(", ")} is not running`);
    const sessions: SshSession[] = [];
    try {
      const pins = new HostKeyPins(join(dir, "host-keys"));
      const { nodes, kernel } = await this.connectNodes(lab, env, what, pins, sessions);
      return new VagrantLab(lab, kernel, nodes, async () => {});
    } catch (error) {
      await Promise.allSettled(sessions.map((s) => s.close()));
      throw error;
    }
  }

  /** An SSH session as root (sudo -n) to every machine of the lab, in the lab's order; each one opened is in `sessions`. */
  private async connectNodes(
    lab: Lab,
    env: NodeJS.ProcessEnv,
    what: string,
    pins: HostKeyPins,
    sessions: SshSession[],
    prepare?: (node: string, shell: SudoShell) => Promise<void>,
  ): Promise<{ nodes: LabNode[]; kernel: string }> {
    const nodes: LabNode[] = [];
    let kernel = "";
    for (const node of Object.keys(lab.nodes)) {
      const config = parseSshConfig((await this.call(["ssh-config", node], env, what)).stdout, node);
      const session = await connectMachine(node, config, pins, this.settings.sshTimeoutMs);
      sessions.push(session);
      const shell = new SudoShell(session);
      const sudo = await shell.exec("true", { timeoutMs: this.settings.sshTimeoutMs });
      if (sudo.failed)
        throw new InfrastructureError(
          `machine ${node}: user ${config.user} cannot run commands as root with \`sudo -n\` (${sudo.stderr.trim() || `exit ${sudo.exitCode}`}); the box must allow passwordless sudo`,
        );
      await prepare?.(node, shell);
      kernel ||= (await shell.exec("uname -r")).stdout.trim();
      nodes.push({ name: node, shell });
    }
    return { nodes, kernel };
  }

  async down(labName: string): Promise<void> {
    const dir = stateDir(this.name, labName);
    if (!existsSync(dir)) return;
    // Before state.json is believed: a directory we did not make names no machines of ours.
    await assertOurs(dir);
    const file = join(dir, "state.json");
    // Missing: `up` died before writing it, so no machine was made. Present: checked before it names anything.
    const text = await readFile(file, "utf8").catch(() => undefined);
    const state = text === undefined ? undefined : parseLabState(text, file);
    await this.destroyDir(dir, this.env(dir, state));
  }

  async list(): Promise<readonly string[]> {
    return labStateNames(this.name).filter((n) => !n.startsWith(PROBE_PREFIX));
  }

  /** Lab NICs get the lab's names and MACs (scenario files stay identical); promiscuous mode is the scenario's step. */
  private async mapNics(lab: Lab, node: string, shell: SudoShell, instance?: string): Promise<void> {
    const listed = await shell.exec("ip -j addr show", { timeoutMs: this.settings.sshTimeoutMs });
    if (listed.failed)
      throw new InfrastructureError(`machine ${node}: \`ip -j addr show\` failed: ${listed.stderr.trim()}`);
    const links = JSON.parse(listed.stdout) as GuestLink[];
    const script = nicScript(assignNics(node, nicMarkers(lab, node, instance), links), links);
    const result = await shell.exec(script, { timeoutMs: this.settings.sshTimeoutMs });
    if (result.failed)
      throw new InfrastructureError(
        `machine ${node}: renaming its NICs to the lab's names failed (exit ${result.exitCode}): ${result.stderr.trim()}\n${script}`,
      );
  }

  private async destroyDir(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
    await assertOurs(dir);
    if (existsSync(join(dir, "dot")) && env.MACVLAB_LAB_FILE) {
      const result = await runVagrant(["destroy", "-f"], {
        cwd: PROJECT_ROOT,
        env,
        timeoutMs: this.settings.callTimeoutMs,
      });
      if (result.exitCode !== 0)
        throw vagrantFailure(result, {
          what: `destroying ${dir}`,
          provider: this.settings.backend,
          timeoutMs: this.settings.callTimeoutMs,
        });
    }
    await removeMarkedDir(dir);
  }

  private async call(args: string[], env: NodeJS.ProcessEnv, what: string): Promise<VagrantResult> {
    const result = await runVagrant(args, { cwd: PROJECT_ROOT, env, timeoutMs: this.settings.callTimeoutMs });
    if (result.exitCode !== 0)
      throw vagrantFailure(result, { what, provider: this.settings.backend, timeoutMs: this.settings.callTimeoutMs });
    return result;
  }

  private env(dir?: string, state?: LabState): NodeJS.ProcessEnv {
    return {
      ...process.env,
      VAGRANT_CHECKPOINT_DISABLE: "1",
      VAGRANT_NO_COLOR: "1",
      VAGRANT_CWD: PROJECT_ROOT,
      ...(dir ? { VAGRANT_DOTFILE_PATH: join(dir, "dot") } : {}),
      ...(state
        ? {
            MACVLAB_LAB: state.labName,
            MACVLAB_LAB_FILE: state.labFile,
            VAGRANT_DEFAULT_PROVIDER: state.backend,
            MACVLAB_INSTANCE: state.instance ?? "",
          }
        : {}),
    };
  }
}

/** A lab's state.json, checked before any of it names a machine, a file or an environment variable. */
export function parseLabState(text: string, file: string): LabState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError(`${file}: not a lab state (JSON) file`);
  }
  const { backend, labFile, labName, instance } = (value ?? {}) as Record<string, unknown>;
  if (backend !== "virtualbox" && backend !== "docker" && backend !== "libvirt")
    throw new InputError(`${file}: backend must be virtualbox, docker or libvirt`);
  if (typeof labFile !== "string" || !isAbsolute(labFile) || /[\0\n]/.test(labFile))
    throw new InputError(`${file}: labFile must be an absolute path`);
  if (typeof labName !== "string") throw new InputError(`${file}: labName must be a lab name`);
  checkName(LabName, labName, `${file}: labName`);
  if (instance !== undefined && (typeof instance !== "string" || !/^[0-9a-f]{8}$/.test(instance)))
    throw new InputError(`${file}: instance must be 8 hex digits`);
  return { backend, labFile, labName, ...(instance === undefined ? {} : { instance }) };
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, program)));
}

function run([file, ...args]: readonly [string, ...string[]], timeoutMs: number): Promise<{ exitCode: number }> {
  return new Promise((done) => {
    execFile(file, args, { timeout: timeoutMs }, (error) => done({ exitCode: error ? 1 : 0 }));
  });
}
