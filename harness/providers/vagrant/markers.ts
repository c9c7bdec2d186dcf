import { crc32 } from "node:zlib";
import type { Lab, NicSpec } from "../../model/lab.ts";

/*
 * KEEP IN SYNC with the top-level Vagrantfile (segment_prefix, nic_mac): the Vagrantfile gives every
 * lab NIC a marker address (Docker cannot set a MAC on `network connect`, so that is how the harness
 * finds a container's NIC) and, where the lab file has none, a MAC derived from the names.
 */

/**
 * First three octets of the segment's private marker subnet (never used by scenarios: 10.200–249.x.0/24).
 * With an instance id (see ../instance.ts) the subnet differs per state dir as well: Vagrant's docker
 * provider joins machines to an existing network with the same subnet, which would join two
 * instances of one lab into one segment.
 */
export function segmentPrefix(lab: string, segment: string, instance = ""): string {
  const h = crc32(instance ? `${instance}/${lab}/${segment}` : `${lab}/${segment}`);
  return `10.${200 + (h % 50)}.${(h >>> 8) % 256}`;
}

/** The address Vagrant gives node number `nodeIndex` (order in the lab file) on `segment`. */
export function markerAddress(lab: string, segment: string, nodeIndex: number, instance = ""): string {
  return `${segmentPrefix(lab, segment, instance)}.${10 + nodeIndex}`;
}

/** The lab's MAC for the NIC, or the one the Vagrantfile derives (VirtualBox's 08:00:27 prefix). */
export function nicMac(lab: string, node: string, nic: Pick<NicSpec, "name" | "mac">): string {
  if (nic.mac) return nic.mac.toLowerCase();
  const h = crc32(`${lab}/${node}/${nic.name}`);
  return ["08", "00", "27", (h >>> 16) & 255, (h >>> 8) & 255, h & 255]
    .map((b) => (typeof b === "string" ? b : b.toString(16).padStart(2, "0")))
    .join(":");
}

/** What the harness looks for in a guest for each lab NIC of one node. */
export interface NicMarker {
  readonly name: string;
  readonly segment: string;
  readonly mac: string;
  readonly address: string;
  readonly promiscuous: boolean;
}

export function nicMarkers(lab: Lab, node: string, instance = ""): NicMarker[] {
  const nodes = Object.keys(lab.nodes);
  const index = nodes.indexOf(node);
  const spec = lab.nodes[node];
  if (index < 0 || !spec) throw new Error(`lab ${lab.name} has no node ${node}`);
  return spec.nics.map((nic) => ({
    name: nic.name,
    segment: nic.segment,
    mac: nicMac(lab.name, node, nic),
    address: markerAddress(lab.name, nic.segment, index, instance),
    promiscuous: nic.promiscuous,
  }));
}
