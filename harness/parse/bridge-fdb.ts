import { z } from "zod";
import { ParseError } from "./parse-error.ts";

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
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new ParseError("bridge -j fdb show", `not JSON (${(error as Error).message})`, json, { cause: error });
  }
  const result = z.array(entrySchema).safeParse(value);
  if (!result.success)
    throw new ParseError("bridge -j fdb show", `unexpected JSON shape: ${result.error.issues[0]?.message}`, json);
  return result.data;
}
