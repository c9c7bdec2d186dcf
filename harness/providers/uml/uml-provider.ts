import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { access, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { NODES_AT_ONCE } from "../../model/at-most.ts";
import { InfrastructureError, InputError } from "../../model/errors.ts";
import type { Lab } from "../../model/lab.ts";
import { imageCacheDir, labStateNames, stateDir } from "../../model/paths.ts";
import { probeCapabilities } from "../namespace-lab/capabilities.ts";
import { NamespaceLab, type NamespaceLabOptions } from "../namespace-lab/namespace-lab.ts";
import { requiredTools } from "../namespace-lab/requirements.ts";
import type { CapabilityReport, Missing, Provider, StartedLab, StudentIsolation, UpOptions } from "../provider.ts";
import { assertOurs, createMarkedDir, isMarked, removeMarkedDir } from "../state-marker.ts";
import { bootUml, killStrayUml, UML_KERNEL } from "./boot.ts";
import { MAX_CONSOLE_COMMAND_BYTES } from "./console-limit.ts";
import { keepUml } from "./keeper.ts";
import { startUmlKeeper, stopRecordedKeeper } from "./keeper-handle.ts";
import { connectKeptConsole, type KeptConsole } from "./kept-console.ts";
import { umlHost } from "./uml-host.ts";

/** Channels of the console session left for commands (building, teardown, evidence) beside the nodes' sshd. */
const COMMAND_CHANNELS = 8;
/** Probe directories, `capability-probe-<pid>-<hex>` (one per process), are not labs: list() skips them. */
const PROBE_PREFIX = "capability-probe-";

export interface UmlSettings {
  /** @default 512, or MACVLAB_UML_MEM_MB */
  readonly memMb: number;
  /** @default 60000, or MACVLAB_UML_BOOT_TIMEOUT_MS */
  readonly bootTimeoutMs: number;
}

export function umlSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): UmlSettings {
  return {
    memMb: Number(env.MACVLAB_UML_MEM_MB ?? 512),
    bootTimeoutMs: Number(env.MACVLAB_UML_BOOT_TIMEOUT_MS ?? 60_000),
  };
}

/**
 * The namespace lab inside a User-Mode Linux kernel: a full kernel (8021q, ipvlan, legacy iptables nat)
 * as an ordinary process, no hypervisor and no host root. One kernel per lab, stopped at `down`.
 */
export class UmlProvider implements Provider {
  readonly name = "uml";
  /** Every process inside UML is ptrace round trips (the bench: ~95 ms a command, 15x the floor to build). */
  readonly commandCost = 4;
  private report?: Promise<CapabilityReport>;

  constructor(private readonly settings: UmlSettings = umlSettingsFromEnv()) {}

  studentIsolation(): StudentIsolation {
    return {
      isolates: false,
      why: "the kernel's root filesystem is this host's (hostfs, read-write as the user who runs the kernel): root on a node writes this host's files with that user's rights",
    };
  }

  async missingRequirements(): Promise<readonly Missing[]> {
    const kernel = await access(UML_KERNEL).then(
      () => [],
      () => [{ what: "User-Mode Linux kernel (/usr/bin/linux)", install: "apt-get install -y user-mode-linux kmod" }],
    );
    return [...kernel, ...(await requiredTools({ needsRoot: false }))];
  }

  /**
   * Measured inside a short-lived kernel: the same probes as netns, in UML's own namespaces. Each
   * process probes in a directory of its own: two runs sharing a state dir must not kill each
   * other's probe kernel (boot clears a stray UML in its directory first).
   */
  capabilities(): Promise<CapabilityReport> {
    this.report ??= (async () => {
      await mkdir(stateDir(this.name), { recursive: true, mode: 0o700 });
      await removeDeadProbes(stateDir(this.name));
      const dir = join(stateDir(this.name), `${PROBE_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`);
      await createMarkedDir(dir, { provider: this.name, lab: "capability-probe" });
      try {
        const machine = await bootUml({
          stateDir: join(dir, "kernel"),
          name: "probe",
          memMb: 256,
          bootTimeoutMs: this.settings.bootTimeoutMs,
        });
        try {
          return await probeCapabilities(umlHost(machine), this.name);
        } finally {
          await machine.stop();
        }
      } finally {
        await removeMarkedDir(dir);
      }
    })();
    return this.report;
  }

  async up(lab: Lab, options?: UpOptions): Promise<StartedLab> {
    const dir = stateDir(this.name, lab.name);
    await this.down(lab.name);
    await createMarkedDir(dir, { provider: this.name, lab: lab.name });
    if (options?.outlivesProcess) return this.upKept(lab, dir, options);
    const machine = await bootUml({
      stateDir: join(dir, "kernel"),
      name: lab.name,
      channels: labChannels(lab),
      memMb: this.settings.memMb,
      bootTimeoutMs: this.settings.bootTimeoutMs,
    });
    try {
      await options?.onFirstResource?.();
      return await NamespaceLab.build({
        host: umlHost(machine),
        lab,
        provider: this.name,
        kernel: machine.kernelVersion,
        // Inside UML the host's files are the root filesystem (hostfs): the lab's namespace pins live here.
        dir: join(dir, "lab"),
        // A few handshakes at a time: 64 at once stall the console (see MAX_CONSOLE_COMMAND_BYTES).
        sessionsAtOnce: NODES_AT_ONCE,
        hostEndsWithLab: true,
        maxCommandBytes: MAX_CONSOLE_COMMAND_BYTES,
        imageCache: imageCacheDir(),
        afterDown: async () => {
          await machine.stop();
          await removeMarkedDir(dir);
        },
      });
    } catch (error) {
      const log = machine.consoleLog();
      await machine.stop().catch(() => {});
      if (!(error instanceof InfrastructureError)) throw error;
      throw new InfrastructureError(
        `${error.message}\nUML console (last lines):\n${log.split("\n").slice(-20).join("\n")}`,
        { cause: error },
      );
    }
  }

  /**
   * A lab for later commands (`lab up`): its kernel is booted and kept by a keeper process, and built
   * through an attach like any later one. `release()` hands it to the keeper; `down()` (a failed
   * setup, an interrupt) stops the keeper and with it the kernel.
   */
  private async upKept(lab: Lab, dir: string, options: UpOptions): Promise<StartedLab> {
    const keeper = await startUmlKeeper(dir, lab.name, this.settings.bootTimeoutMs);
    let kept: KeptConsole | undefined;
    try {
      await options.onFirstResource?.();
      kept = await connectKeptConsole(lab.name, join(dir, "kernel"), labChannels(lab));
      const opened = kept;
      return await NamespaceLab.build({
        ...this.labOptions(lab, dir, opened, keeper.kernelVersion),
        hostEndsWithLab: true,
        afterRelease: async () => {
          await opened.close();
          keeper.detach();
        },
        afterDown: async () => {
          await opened.close();
          await keeper.stop();
          await removeMarkedDir(dir);
        },
      });
    } catch (error) {
      await kept?.close();
      await keeper.stop();
      throw error;
    }
  }

  /** Connects to a lab `lab up` left with its keeper: `down()` of what this returns only disconnects. */
  async attach(lab: Lab): Promise<StartedLab> {
    const dir = stateDir(this.name, lab.name);
    await assertOurs(dir);
    if (!existsSync(join(dir, "kernel")))
      throw new InputError(
        `lab ${lab.name} is not up on uml (start it with \`macvlab lab up ${lab.name} --provider uml\`)`,
      );
    const kept = await connectKeptConsole(lab.name, join(dir, "kernel"), labChannels(lab));
    try {
      const kernel = (await kept.shell.exec("uname -r", { timeoutMs: 30_000 })).stdout.trim();
      return await NamespaceLab.attach({
        ...this.labOptions(lab, dir, kept, kernel),
        afterRelease: () => kept.close(),
      });
    } catch (error) {
      await kept.close();
      throw error;
    }
  }

  /** The same lab inside a kept kernel, whether built or attached to. */
  private labOptions(lab: Lab, dir: string, kept: KeptConsole, kernel: string): NamespaceLabOptions {
    return {
      host: umlHost(kept),
      lab,
      provider: this.name,
      kernel,
      dir: join(dir, "lab"),
      sessionsAtOnce: NODES_AT_ONCE,
      maxCommandBytes: MAX_CONSOLE_COMMAND_BYTES,
      imageCache: imageCacheDir(),
    };
  }

  /** The keeper's own process: boots the lab's kernel and holds it (see keeper.ts). */
  keep(labName: string): Promise<number> {
    return keepUml(labName, this.settings);
  }

  async down(labName: string): Promise<void> {
    await this.clear(stateDir(this.name, labName));
  }

  /**
   * Stops the keeper and the kernel a lab dir recorded (if they still are those processes) and
   * deletes the dir, only if it is ours.
   */
  private async clear(dir: string): Promise<void> {
    await assertOurs(dir);
    await stopRecordedKeeper(dir);
    await killStrayUml(join(dir, "kernel"));
    await removeMarkedDir(dir);
  }

  async list(): Promise<readonly string[]> {
    return labStateNames(this.name).filter((n) => !n.startsWith(PROBE_PREFIX));
  }
}

/** Each node's sshd holds a channel of the console session for as long as the lab is up; commands need the rest. */
function labChannels(lab: Lab): number {
  return Object.keys(lab.nodes).length + COMMAND_CHANNELS;
}

/** Probe directories of processes that died while probing (SIGKILL): stop a kernel left there, remove the files. */
async function removeDeadProbes(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(new RegExp(`^${PROBE_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!pid || processAlive(pid)) continue;
    // Only a directory that carries our marker: a probe dir is ours, anything else named like one is not.
    if (!(await isMarked(join(root, name)))) continue;
    await killStrayUml(join(root, name, "kernel"));
    await removeMarkedDir(join(root, name));
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
