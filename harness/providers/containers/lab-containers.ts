import type { Container, HostConfig } from "dockerode";
import { InfrastructureError } from "../../model/errors.ts";
import { chooseReaper, containersLabelled, engine, LABEL, testcontainers } from "./engine.ts";
import { ExecShell } from "./exec-shell.ts";

/**
 * PID 1 of every container the provider starts: it only reaps (`wait` adopts orphans), and it ends at
 * once on SIGTERM, so `docker stop` does not wait out its grace period.
 */
const INIT = `trap 'exit 0' TERM INT; while :; do sleep 2147483647 & wait; done`;

/**
 * A node: its own network namespace with nothing but loopback (network mode none; the harness plugs
 * its NICs), its hostname, and the capabilities the articles' commands need:
 * - NET_ADMIN and NET_RAW: links, addresses, routes, iptables; ping and tcpdump;
 * - SYS_ADMIN with AppArmor unconfined: `ip netns add` and `ip netns exec` mount inside the node;
 * - no masked or read-only system paths (the CLI's `--security-opt systempaths=unconfined`): Docker
 *   mounts /proc/sys read-only, and the articles write sysctls (a network namespace's own net.*).
 * Not privileged: no host devices, no other capability (a privileged container cannot even start on
 * an engine whose own bounding set lacks a capability, as here).
 */
export const NODE_HOST_CONFIG: Partial<HostConfig> = {
  CapAdd: ["NET_ADMIN", "NET_RAW", "SYS_ADMIN"],
  SecurityOpt: ["apparmor=unconfined"],
  MaskedPaths: [],
  ReadonlyPaths: [],
};

/**
 * The switch: its own network namespace holding one bridge per segment. It sees the engine host's
 * processes (pid mode host) to open each node's network namespace by pid and move a veth end there,
 * as containerlab does from the host; on Docker Desktop that host is the engine's VM.
 */
export const SWITCH_HOST_CONFIG: Partial<HostConfig> = {
  CapAdd: ["NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"],
  SecurityOpt: ["apparmor=unconfined"],
  PidMode: "host",
};

/**
 * testcontainers' builder, with the host settings it has no method for (pid mode, security options);
 * made once testcontainers is loaded (see `testcontainers()`).
 */
async function labContainerClass() {
  const { GenericContainer } = await testcontainers();
  return class LabContainer extends GenericContainer {
    withHostSettings(settings: Partial<HostConfig>): this {
      Object.assign(this.hostConfig, structuredClone(settings));
      return this;
    }
  };
}

export interface ContainerRequest {
  readonly image: string;
  readonly name: string;
  readonly hostname?: string;
  readonly labels: Record<string, string>;
  readonly host: Partial<HostConfig>;
  /**
   * The container outlives this process (`macvlab lab up`): it must not carry the session label that
   * Ryuk reaps by. testcontainers leaves that label off a reusable container; the lab's own labels
   * (an instance id, the lab) make its hash unique, so nothing is ever reused either.
   */
  readonly outlivesProcess?: boolean;
}

export interface LabContainerHandle {
  readonly name: string;
  readonly container: Container;
  readonly shell: ExecShell;
}

/** Starts one container through testcontainers, with no port, no network and the reaping init. */
export async function startContainer(request: ContainerRequest, shellName: string): Promise<LabContainerHandle> {
  const LabContainer = await labContainerClass();
  const builder = new LabContainer(request.image)
    .withName(request.name)
    .withLabels(request.labels)
    .withNetworkMode("none")
    .withCommand(["sh", "-c", INIT])
    .withHostSettings(request.host);
  if (request.hostname) builder.withHostname(request.hostname);
  if (request.outlivesProcess) builder.withReuse();
  else await chooseReaper();
  let started: Awaited<ReturnType<InstanceType<typeof LabContainer>["start"]>>;
  try {
    started = await builder.start();
  } catch (error) {
    throw new InfrastructureError(`container ${request.name} did not start: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const container = (await engine()).container.getById(started.getId());
  return { name: request.name, container, shell: new ExecShell(shellName, container) };
}

/** The pid of a container's init as the engine host sees it: what `nsenter -t` in the switch takes. */
export async function hostPid(handle: LabContainerHandle): Promise<number> {
  const info = await handle.container.inspect();
  const pid = info.State?.Pid;
  if (!Number.isSafeInteger(pid) || pid <= 1 || !info.State.Running)
    throw new InfrastructureError(`container ${handle.name} is not running (pid ${pid})`);
  return pid;
}

/** A running container of the lab by its labels, as a handle; undefined when there is none. */
export async function findContainer(labels: Record<string, string>, shellName: string) {
  const [found] = await containersLabelled(labels, "running");
  if (!found) return undefined;
  const container = (await engine()).container.getById(found.Id);
  const name = (found.Names[0] ?? found.Id).replace(/^\//, "");
  return { name, container, shell: new ExecShell(shellName, container) } satisfies LabContainerHandle;
}

export { LABEL };
