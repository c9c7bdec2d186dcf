import { z } from "zod";
import { Id, IfName, LabName, Mac, NodeName } from "./names.ts";

export const Nic = z.strictObject({
  /** The name the documents use (`enp0s3`); providers make the node's NIC carry it. */
  name: IfName,
  segment: Id,
  /** VirtualBox "allow-all" on the switch side and `promisc on` on the node. */
  promiscuous: z.boolean().default(false),
  mac: Mac.optional(),
});

export const Segment = z.strictObject({
  /** A trunk carries 802.1Q tags between its ports; a switch is one untagged broadcast domain. */
  kind: z.enum(["switch", "trunk"]).default("switch"),
  description: z.string().optional(),
});

/** Images an engine can load besides busybox, each built locally from a Debian package (no registry). */
export const EXTRA_IMAGES = ["registry"] as const;

export const DockerEngineSpec = z.strictObject({
  /**
   * Docker's default bridge, docker0, inside the node (no NAT, no forwarding: `docker run -p` goes
   * through docker-proxy), for the articles' containers started without `--network`.
   */
  bridge: z.boolean().default(false),
  /** `registry`: Debian's docker-registry as `registry:latest` (needs `requires: [docker-registry]`). */
  images: z.array(z.enum(EXTRA_IMAGES)).default([]),
});
export type DockerEngine = z.infer<typeof DockerEngineSpec>;

export const LabNodeSpec = z.strictObject({
  description: z.string().optional(),
  nics: z.array(Nic).min(1),
  /**
   * A Docker engine of its own in this node (the articles' docker hosts): its own dockerd and
   * containerd, data root and socket, with the busybox image loaded; `true`, or what the engine has
   * besides (its default bridge, more images). Needs `requires: [docker]`.
   */
  docker: z
    .union([z.boolean(), DockerEngineSpec], {
      error: `true, false or { bridge: true|false, images: [${EXTRA_IMAGES.join(", ")}] } (no other key, no other image)`,
    })
    .default(false),
});

export const LabSchema = z.strictObject({
  /** Must equal the file name (`labs/<name>.yaml`): state directories and `macvlab down <name>` use it. */
  name: LabName,
  description: z.string().optional(),
  segments: z.record(Id, Segment),
  nodes: z.record(NodeName, LabNodeSpec),
});

export type Lab = z.infer<typeof LabSchema> & { readonly file: string };
export type NicSpec = z.infer<typeof Nic>;
export type LabNodeSpec = z.infer<typeof LabNodeSpec>;

/** The lab's nodes that run a Docker engine of their own. */
export function dockerNodes(lab: Pick<Lab, "nodes">): string[] {
  return Object.entries(lab.nodes)
    .filter(([, spec]) => spec.docker)
    .map(([name]) => name);
}

/** What a node's engine has (`docker: true` is the plain engine), or undefined for a node without one. */
export function dockerEngine(spec: Pick<LabNodeSpec, "docker">): DockerEngine | undefined {
  if (spec.docker === false) return undefined;
  return spec.docker === true ? { bridge: false, images: [] } : spec.docker;
}
