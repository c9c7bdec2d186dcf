import type { ContainerInfo } from "dockerode";
import type { ContainerRuntimeClient } from "testcontainers";
import { InfrastructureError, InputError } from "../../model/errors.ts";
import { currentContextEndpoint } from "./docker-context.ts";

/** How long finding and asking the Docker engine may take before the provider says it has none. */
const ENGINE_WAIT_MS = 20_000;
export const NODE_IMAGE_ENV = "MACVLAB_NODE_IMAGE";
const DEFAULT_NODE_IMAGE = "macvlab-node:latest";
/** A local image reference as `docker image inspect` takes it: never shell, never an option. */
const IMAGE_REF = /^[a-z0-9][a-z0-9._/-]{0,127}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;
/** testcontainers' reaper image (RYUK_CONTAINER_IMAGE overrides it, as testcontainers reads it). */
const RYUK_IMAGE_DEFAULT = "testcontainers/ryuk:0.14.0";

/** Labels on everything the provider creates: `down` and the sweep remove by them, and by nothing else. */
export const LABEL = {
  instance: "org.macvlab.instance",
  lab: "org.macvlab.lab",
  role: "org.macvlab.role",
  node: "org.macvlab.node",
} as const;

/**
 * testcontainers, loaded on first use: it costs most of a second to load, and every `macvlab` command
 * builds the provider list, while only the containers provider needs it.
 */
export function testcontainers(): Promise<typeof import("testcontainers")> {
  return import("testcontainers");
}

let client: Promise<ContainerRuntimeClient> | undefined;

/**
 * The Docker engine as the docker CLI would pick it: DOCKER_HOST, else the current docker context
 * (handed to testcontainers as DOCKER_HOST, which it reads), then what testcontainers finds itself
 * (~/.testcontainers.properties, the usual sockets). One client per process; bounded in time.
 */
export function engine(): Promise<ContainerRuntimeClient> {
  client ??= (async () => {
    const endpoint = currentContextEndpoint();
    if (endpoint) {
      process.env.DOCKER_HOST = endpoint.host;
      if (endpoint.certPath) {
        process.env.DOCKER_TLS_VERIFY = "1";
        process.env.DOCKER_CERT_PATH = endpoint.certPath;
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new InfrastructureError(`no Docker engine answered within ${ENGINE_WAIT_MS / 1000} s`)),
        ENGINE_WAIT_MS,
      );
    });
    try {
      const { getContainerRuntimeClient } = await testcontainers();
      return await Promise.race([getContainerRuntimeClient(), giveUp]);
    } finally {
      clearTimeout(timer);
    }
  })();
  client.catch(() => (client = undefined));
  return client;
}

/** The node image: MACVLAB_NODE_IMAGE (checked), else macvlab-node:latest. */
export function nodeImage(env: NodeJS.ProcessEnv = process.env): string {
  const image = env[NODE_IMAGE_ENV] || DEFAULT_NODE_IMAGE;
  if (!IMAGE_REF.test(image))
    throw new InputError(
      `${NODE_IMAGE_ENV}=${JSON.stringify(image)}: not a local image name (lower-case name[:tag], as \`docker images\` lists it)`,
    );
  return image;
}

export async function imageExists(image: string): Promise<boolean> {
  const { ImageName } = await testcontainers();
  return (await engine()).image.exists(ImageName.fromString(image));
}

/**
 * Ryuk, where the engine has its image: testcontainers then removes a run's containers when the run's
 * process dies, however it dies. With no registry the image cannot be pulled, and testcontainers would
 * fail every start trying: then Ryuk is disabled for this process (TESTCONTAINERS_RYUK_DISABLED=true)
 * and the harness's own label sweep (`up` of the lab again, `down`) is what removes a killed run's
 * containers. A value the user set is left as it is.
 */
export function chooseReaper(): Promise<"ryuk" | "label sweep"> {
  reaper ??= decideReaper();
  reaper.catch(() => (reaper = undefined));
  return reaper;
}
let reaper: Promise<"ryuk" | "label sweep"> | undefined;

async function decideReaper(): Promise<"ryuk" | "label sweep"> {
  if (process.env.TESTCONTAINERS_RYUK_DISABLED !== undefined)
    return process.env.TESTCONTAINERS_RYUK_DISABLED === "true" ? "label sweep" : "ryuk";
  const image = process.env.RYUK_CONTAINER_IMAGE || RYUK_IMAGE_DEFAULT;
  if (await imageExists(image)) return "ryuk";
  process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
  return "label sweep";
}

/** Containers carrying every one of `labels`: running or not, or only the running ones. */
export async function containersLabelled(
  labels: Record<string, string>,
  which: "all" | "running" = "all",
): Promise<ContainerInfo[]> {
  const docker = (await engine()).container.dockerode;
  const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return which === "all"
    ? docker.listContainers({ all: true, filters: { label } })
    : docker.listContainers({ filters: { label, status: ["running"] } });
}

/** Removes the containers (and their anonymous volumes) carrying every one of `labels`; returns their names. */
export async function removeLabelled(labels: Record<string, string>): Promise<string[]> {
  const docker = (await engine()).container.dockerode;
  const found = await containersLabelled(labels);
  await Promise.all(
    found.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((error: { statusCode?: number; message: string }) => {
          // Gone already (removed by Ryuk, or a second `down`), or being removed: that is the goal.
          if (error.statusCode === 404 || error.statusCode === 409) return;
          throw new InfrastructureError(`cannot remove container ${c.Names[0] ?? c.Id}: ${error.message}`);
        }),
    ),
  );
  return found.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ""));
}
