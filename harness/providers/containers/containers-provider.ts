import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Capability } from "../../model/capabilities.ts";
import { InfrastructureError } from "../../model/errors.ts";
import type { Lab } from "../../model/lab.ts";
import { labStateNames, stateDir } from "../../model/paths.ts";
import type { HostResult } from "../host-exec.ts";
import { labInstanceId } from "../instance.ts";
import { probeCapabilities } from "../namespace-lab/capabilities.ts";
import type { LabHost } from "../namespace-lab/lab-host.ts";
import type { CapabilityReport, Missing, Provider, StartedLab, StudentIsolation, UpOptions } from "../provider.ts";
import { assertOurs, createMarkedDir, removeMarkedDir } from "../state-marker.ts";
import { ContainersLab, type ContainersLabOptions, labLabels } from "./containers-lab.ts";
import { engine, imageExists, LABEL, NODE_IMAGE_ENV, nodeImage, removeLabelled } from "./engine.ts";
import type { ExecShell } from "./exec-shell.ts";
import { NODE_HOST_CONFIG, startContainer } from "./lab-containers.ts";

/** In a lab's state dir: the instance id its containers are labelled with. */
const INSTANCE_FILE = "instance";

/** What a nested engine would need, and why this provider does not offer one. */
const NO_NESTED_DOCKER =
  "the containers provider runs no Docker engine inside a node (Docker in Docker needs a privileged node)";

/**
 * Nodes are containers on a Docker engine (any engine testcontainers finds: DOCKER_HOST, a docker
 * context, Docker Desktop, rootless), started from a locally built node image; segments are bridges in
 * one more container, wired with veth pairs as on netns. The engine's kernel decides what labs can do.
 */
export class ContainersProvider implements Provider {
  readonly name = "containers";
  readonly commandCost = 1;
  private report?: Promise<CapabilityReport>;

  studentIsolation(): StudentIsolation {
    return {
      isolates: false,
      why: "nodes hold SYS_ADMIN with AppArmor unconfined (the articles' `ip netns` needs it), and the switch sees the engine host's processes: not a security boundary",
    };
  }

  async missingRequirements(): Promise<readonly Missing[]> {
    const image = nodeImage();
    try {
      await engine();
    } catch (error) {
      return [
        {
          what: `a Docker engine (${(error as Error).message})`,
          install:
            "start one and point DOCKER_HOST or a docker context at it (see the README's Docker Desktop section)",
        },
      ];
    }
    if (await imageExists(image)) return [];
    return [
      {
        what: `the node image ${image} on the engine (${NODE_IMAGE_ENV})`,
        install: "harness/providers/vagrant/node-image/build.sh (debootstrap + docker import, no registry needed)",
      },
    ];
  }

  capabilities(): Promise<CapabilityReport> {
    this.report ??= this.probe();
    return this.report;
  }

  /** The usual probes, in a throwaway container made as a node is: what a node may do is what is measured. */
  private async probe(): Promise<CapabilityReport> {
    await this.refuseMissing();
    const instance = this.instance();
    const probeId = `probe-${process.pid}-${randomBytes(3).toString("hex")}`;
    // Its own id among the labels: another process's probe on the same state root is not this one's to remove.
    const labels = { [LABEL.instance]: instance, [LABEL.role]: "probe", [LABEL.node]: probeId };
    const name = `macvlab-${instance}.${probeId}`;
    try {
      const probe = await startContainer({ image: nodeImage(), name, labels, host: NODE_HOST_CONFIG }, "probe");
      const report = await probeCapabilities(shellHost(probe.shell), this.name);
      const absent = new Map(report.absent);
      for (const capability of ["docker", "docker-registry"] satisfies Capability[])
        if (absent.has(capability)) absent.set(capability, NO_NESTED_DOCKER);
      return { ...report, absent };
    } finally {
      await removeLabelled(labels);
    }
  }

  async up(lab: Lab, options?: UpOptions): Promise<StartedLab> {
    await this.refuseMissing();
    const dir = stateDir(this.name, lab.name);
    await this.down(lab.name);
    // The state dir first: whatever is created from here on is found again by `down`, even after a crash.
    await createMarkedDir(dir, { provider: this.name, lab: lab.name });
    try {
      await writeFile(join(dir, INSTANCE_FILE), `${this.instance()}\n`, { mode: 0o600, flag: "wx" });
      return await ContainersLab.build({
        ...(await this.labOptions(lab)),
        outlivesProcess: options?.outlivesProcess,
        onFirstResource: options?.onFirstResource,
      });
    } catch (error) {
      await removeMarkedDir(dir).catch(() => {});
      throw error;
    }
  }

  async attach(lab: Lab): Promise<StartedLab> {
    const options = await this.labOptions(lab);
    return ContainersLab.attach({ ...options, instance: await this.recordedInstance(stateDir(this.name, lab.name)) });
  }

  private async labOptions(lab: Lab): Promise<ContainersLabOptions> {
    const docker = (await engine()).container.dockerode;
    const kernel = String((await docker.info()).KernelVersion ?? "unknown");
    const dir = stateDir(this.name, lab.name);
    return {
      lab,
      provider: this.name,
      kernel,
      image: nodeImage(),
      instance: this.instance(),
      afterDown: () => removeMarkedDir(dir),
    };
  }

  /**
   * Removes the lab's containers (those with this state root's instance id and the lab's name, and no
   * others), then its state dir. A state dir without the marker is refused before anything is removed.
   */
  async down(labName: string): Promise<void> {
    const dir = stateDir(this.name, labName);
    await assertOurs(dir);
    // With state here the engine must answer (its error is the message); without, a sweep is best effort.
    const hasState = labStateNames(this.name).includes(labName);
    if (
      hasState ||
      (await engine().then(
        () => true,
        () => false,
      ))
    )
      await removeLabelled(labLabels(await this.recordedInstance(dir), labName));
    await removeMarkedDir(dir);
  }

  async list(): Promise<readonly string[]> {
    return labStateNames(this.name);
  }

  /**
   * The instance a lab was built with, as its `up` wrote it down (the state root may since be reached
   * by another path); this state root's own when nothing valid is recorded.
   */
  private async recordedInstance(dir: string): Promise<string> {
    const recorded = (await readFile(join(dir, INSTANCE_FILE), "utf8").catch(() => "")).trim();
    return /^[0-9a-f]{8}$/.test(recorded) ? recorded : this.instance();
  }

  /** Tells this state root's containers from another's on a shared engine (recorded in every label). */
  private instance(): string {
    return labInstanceId(dirname(stateDir(this.name)));
  }

  private async refuseMissing(): Promise<void> {
    const missing = await this.missingRequirements();
    if (missing.length)
      throw new InfrastructureError(
        `containers provider cannot start: ${missing.map((m) => `${m.what} (install: ${m.install})`).join("; ")}`,
      );
  }
}

/** The probes speak LabHost's `run`; a node's exec shell is enough for them. */
function shellHost(shell: ExecShell): LabHost {
  const unused = () => Promise.reject(new InfrastructureError("the containers provider's probe only runs commands"));
  return {
    description: `the containers provider's probe container`,
    async run(argv, options): Promise<HostResult> {
      const [program, flag, script] = argv;
      if (program !== "sh" || flag !== "-c" || script === undefined || argv.length !== 3)
        throw new InfrastructureError(`the probe container runs \`sh -c SCRIPT\` only, not ${argv.join(" ")}`);
      const result = await shell.exec(script, { timeoutMs: options?.timeoutMs });
      return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 124 };
    },
    writeFile: unused,
    writeFiles: unused,
    openSshd: unused,
  };
}
