import { z } from "zod";
import { parseJson } from "./json.ts";

// Loose objects: `docker … inspect` grows fields with every engine release; only what checks read is required.

const networkSchema = z.looseObject({
  Name: z.string(),
  Driver: z.string(),
  /** Driver options as given to `docker network create -o`: macvlan `parent`, `macvlan_mode`; ipvlan `ipvlan_mode`. */
  Options: z.record(z.string(), z.string()).nullish(),
  IPAM: z.looseObject({
    Config: z.array(z.looseObject({ Subnet: z.string().optional(), Gateway: z.string().optional() })).nullish(),
  }),
});

const endpointSchema = z.looseObject({
  IPAddress: z.string(),
  IPPrefixLen: z.number().optional(),
  Gateway: z.string(),
  MacAddress: z.string(),
});

const containerSchema = z.looseObject({
  Name: z.string(),
  State: z.looseObject({ Status: z.string(), Running: z.boolean() }),
  Config: z.looseObject({ Image: z.string() }),
  NetworkSettings: z.looseObject({ Networks: z.record(z.string(), endpointSchema).nullish() }),
});

/** One Docker network as `docker network inspect NAME` describes it (the driver's defaults made explicit). */
export interface DockerNetwork {
  readonly name: string;
  readonly driver: string;
  readonly parent?: string;
  /** The driver's mode: the `-o macvlan_mode=` / `-o ipvlan_mode=` given, else the driver's default. */
  readonly mode?: string;
  readonly subnets: readonly string[];
  readonly gateways: readonly string[];
}

/** One container's state and its endpoint on each network, from `docker container inspect NAME`. */
export interface DockerContainer {
  readonly name: string;
  readonly status: string;
  readonly running: boolean;
  /** The image as `docker run` named it (`192.168.1.11:5000/busybox:v1`), not its digest. */
  readonly image: string;
  readonly endpoints: ReadonlyMap<string, { ip: string; gateway: string; mac: string }>;
}

/** What each driver does when `docker network create` names no mode (Docker's own defaults). */
const DEFAULT_MODE: Readonly<Record<string, string>> = { macvlan: "bridge", ipvlan: "l2" };

export function parseDockerNetwork(command: string, json: string): DockerNetwork {
  const [network] = parseJson(command, json, z.array(networkSchema).length(1));
  const options = network?.Options ?? {};
  const config = network?.IPAM.Config ?? [];
  const driver = network?.Driver ?? "";
  const mode = options[`${driver}_mode`] || DEFAULT_MODE[driver];
  return {
    name: network?.Name ?? "",
    driver,
    ...(options.parent ? { parent: options.parent } : {}),
    ...(mode ? { mode } : {}),
    subnets: config.flatMap((c) => (c.Subnet ? [c.Subnet] : [])),
    gateways: config.flatMap((c) => (c.Gateway ? [c.Gateway] : [])),
  };
}

export function parseDockerContainer(command: string, json: string): DockerContainer {
  const [container] = parseJson(command, json, z.array(containerSchema).length(1));
  const networks = container?.NetworkSettings.Networks ?? {};
  return {
    name: (container?.Name ?? "").replace(/^\//, ""),
    status: container?.State.Status ?? "",
    running: container?.State.Running ?? false,
    image: container?.Config.Image ?? "",
    endpoints: new Map(
      Object.entries(networks).map(([name, e]) => [name, { ip: e.IPAddress, gateway: e.Gateway, mac: e.MacAddress }]),
    ),
  };
}
