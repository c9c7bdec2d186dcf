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

export const LabNodeSpec = z.strictObject({
  description: z.string().optional(),
  nics: z.array(Nic).min(1),
  /**
   * A Docker engine of its own in this node (the articles' docker hosts): its own dockerd and
   * containerd, data root and socket, with the busybox image loaded. Needs `requires: [docker]`.
   */
  docker: z.boolean().default(false),
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

/** The lab's nodes that run a Docker engine of their own. */
export function dockerNodes(lab: Pick<Lab, "nodes">): string[] {
  return Object.entries(lab.nodes)
    .filter(([, spec]) => spec.docker)
    .map(([name]) => name);
}
