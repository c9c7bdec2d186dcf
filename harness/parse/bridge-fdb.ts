import { z } from "zod";
import { parseJson } from "./json.ts";

// Loose: iproute2 adds fields (vlan, flags, updated) per release and per entry.
const entrySchema = z.looseObject({
  mac: z.string(),
  ifname: z.string().optional(),
  /** "permanent" for the bridge's own and static entries; absent or "" for learned ones. */
  state: z.string().optional(),
});

export type FdbEntry = z.infer<typeof entrySchema>;

/** Output of `bridge -j fdb show br BR`. */
export function parseBridgeFdb(json: string): FdbEntry[] {
  return parseJson("bridge -j fdb show", json, z.array(entrySchema));
}
