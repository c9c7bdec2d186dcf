import { createHash } from "node:crypto";
import { dirname, resolve } from "node:path";
import { stateDir } from "../model/paths.ts";

/**
 * VirtualBox VM and internal-network names, Docker container names, networks and labels, libvirt networks:
 * all global on a host, where the same lab may be up twice from two state dirs (two checkouts, two
 * CI jobs). The first 8 hex digits of sha256(state root) tell them apart: the same for every
 * command on one state dir, different for another. Recorded in the lab's state.json, so `down`
 * finds the names the lab was built with even if the state root is later reached by another path.
 */
export function labInstanceId(root: string = dirname(stateDir("vagrant"))): string {
  return createHash("sha256").update(resolve(root)).digest("hex").slice(0, 8);
}
