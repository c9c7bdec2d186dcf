import { z } from "zod";
import type { Outcome } from "../expect/outcome.ts";
import { ContainerName, IfName, Ipv4, Ipv4Cidr, Mac, NodeName } from "../model/names.ts";
import { type DockerContainer, type DockerNetwork, parseDockerContainer, parseDockerNetwork } from "../parse/index.ts";
import type { ShellResult } from "../transport/shell.ts";
import { type CheckKindModule, defineCheckKind } from "./check-kind.ts";
import { mustSucceed } from "./shared.ts";

/** An image reference as `docker run` takes it: [registry[:port]/]name[:tag], nothing a shell would read. */
const ImageRef = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]*(:[0-9]{1,5})?(\/[a-z0-9][a-z0-9._-]*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/,
    "an image like busybox or 192.168.1.11:5000/busybox:v1",
  );

const Word = z.string().regex(/^[a-z0-9]{1,32}$/, "a lower-case word like macvlan or bridge");

const DockerSpec = z
  .strictObject({
    node: NodeName,
    /** The network to inspect, or (with `container`) the network whose endpoint `ip`, `mac`, `gateway` describe. */
    network: ContainerName.optional(),
    container: ContainerName.optional(),
    exists: z.boolean().default(true),
    driver: Word.optional(),
    parent: IfName.optional(),
    mode: Word.optional(),
    subnet: Ipv4Cidr.optional(),
    gateway: Ipv4.optional(),
    running: z.boolean().optional(),
    /** The image the container was run from, as `docker run` named it (a pulled `host:5000/name:tag`). */
    image: ImageRef.optional(),
    ip: Ipv4.optional(),
    mac: Mac.optional(),
  })
  .refine((s) => s.network !== undefined || s.container !== undefined, {
    message: "name a network or a container (or both: the container's endpoint on that network)",
  })
  .refine((s) => s.container === undefined || [s.driver, s.parent, s.mode, s.subnet].every((f) => f === undefined), {
    message: "driver, parent, mode and subnet describe a network: inspect the network, not the container",
  })
  .refine((s) => s.container !== undefined || [s.running, s.image, s.ip, s.mac].every((f) => f === undefined), {
    message: "running, image, ip and mac describe a container: name it with container:",
  })
  .refine(
    (s) =>
      s.container === undefined || s.network !== undefined || [s.ip, s.mac, s.gateway].every((f) => f === undefined),
    {
      message: "ip, mac and gateway of a container are its endpoint on one network: name it with network:",
    },
  );
export type DockerCheckSpec = z.output<typeof DockerSpec>;

const inspectsContainer = (spec: DockerCheckSpec) => spec.container !== undefined;
const target = (spec: DockerCheckSpec) =>
  inspectsContainer(spec) ? `container ${spec.container}` : `network ${spec.network}`;
const dockerCommand = (spec: DockerCheckSpec) =>
  spec.container ? `docker container inspect ${spec.container}` : `docker network inspect ${spec.network}`;

/**
 * What the engine answers for a name it does not know (20.10: "network macnet not found", "No such
 * container: bridge1"): the object is absent, which a check may expect.
 */
const NOT_FOUND = /No such (network|container|object)|network [A-Za-z0-9_.-]+ not found/i;

type Inspected = DockerNetwork | DockerContainer | undefined;

/** Only the facets the scenario names are compared, each written the same way on both sides. */
export function judgeDocker(spec: DockerCheckSpec, seen: Inspected): Outcome {
  const subject = `${spec.node}: Docker ${target(spec)}`;
  if (!spec.exists) return { subject, expected: "absent", actual: seen ? "present" : "absent", detail: describe(seen) };
  const expected = facets(spec, undefined, true).join(", ");
  if (!seen)
    return { subject, expected, actual: "absent", detail: `the engine on ${spec.node} knows no ${target(spec)}` };
  return { subject, expected, actual: facets(spec, seen, false).join(", "), detail: describe(seen) };
}

function facets(spec: DockerCheckSpec, seen: Inspected, expected: boolean): string[] {
  const out = ["present"];
  const put = (name: string, want: string | undefined, actual: () => string) => {
    if (want !== undefined) out.push(`${name} ${expected ? want : actual()}`);
  };
  const network = seen && "driver" in seen ? seen : undefined;
  const container = seen && "endpoints" in seen ? seen : undefined;
  const endpoint = spec.network ? container?.endpoints.get(spec.network) : undefined;
  const none = (value: string | undefined) => value || "none";
  if (spec.container && spec.network)
    out.push(
      `on ${spec.network}${expected || endpoint ? "" : `: no (on ${[...(container?.endpoints.keys() ?? [])].join(", ") || "no network"})`}`,
    );
  put("driver", spec.driver, () => none(network?.driver));
  put("parent", spec.parent, () => none(network?.parent));
  put("mode", spec.mode, () => none(network?.mode));
  put("subnet", spec.subnet, () => network?.subnets.join(" ") || "none");
  put("running", spec.running === undefined ? undefined : String(spec.running), () => String(container?.running));
  put("image", spec.image, () => none(container?.image));
  put("ip", spec.ip, () => none(endpoint?.ip));
  put("mac", spec.mac?.toLowerCase(), () => none(endpoint?.mac.toLowerCase()));
  put("gateway", spec.gateway, () => (container ? none(endpoint?.gateway) : network?.gateways.join(" ") || "none"));
  return out;
}

function describe(seen: Inspected): string {
  if (!seen) return "";
  if ("driver" in seen) {
    const options = [seen.parent && `parent ${seen.parent}`, seen.mode && `mode ${seen.mode}`].filter(Boolean);
    return `network ${seen.name}: driver ${seen.driver}${options.length ? ` (${options.join(", ")})` : ""}, subnet ${seen.subnets.join(" ") || "none"}, gateway ${seen.gateways.join(" ") || "none"}`;
  }
  const endpoints = [...seen.endpoints].map(([name, e]) => `${name} ${e.ip} ${e.mac} via ${e.gateway || "none"}`);
  return `container ${seen.name}: ${seen.status}, image ${seen.image}; ${endpoints.join("; ") || "no network"}`;
}

function read(spec: DockerCheckSpec, checkId: string, result: ShellResult): Inspected {
  if (result.exitCode !== 0 && !result.timedOut && NOT_FOUND.test(result.stderr)) return undefined;
  const { stdout, command } = mustSucceed(checkId, result);
  return inspectsContainer(spec) ? parseDockerContainer(command, stdout) : parseDockerNetwork(command, stdout);
}

/** A Docker network or container as the node's engine describes it (`docker … inspect`): driver, parent, mode, addresses. */
export const docker: CheckKindModule<DockerCheckSpec> = defineCheckKind({
  schema: DockerSpec,
  summary:
    "a Docker `network` (driver, parent, mode, subnet, gateway) or `container` (running, image; with `network`, its ip, mac, gateway) as `docker … inspect` shows it, or absent",
  example: {
    node: "node2",
    network: "macvlan1",
    driver: "macvlan",
    parent: "enp0s3",
    mode: "bridge",
    subnet: "172.16.5.0/24",
  },
  nodeRefs: (spec) => [{ node: spec.node, path: ["node"] }],
  places: (spec) => [spec.container ? { node: spec.node, container: spec.container } : { node: spec.node }],
  commands: (spec) => [{ node: spec.node, command: dockerCommand(spec) }],
  readOnly: [/^docker (network|container) inspect [A-Za-z0-9][A-Za-z0-9_.-]*$/],
  defaultDeadlineMs: () => 5000,
  oneShot: () => false,
  graded: true,
  async probe(spec, env, { checkId }) {
    return judgeDocker(spec, read(spec, checkId, await env.exec(spec.node, dockerCommand(spec))));
  },
});
