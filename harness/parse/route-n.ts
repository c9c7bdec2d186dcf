import { isIPv4 } from "node:net";
import { ParseError } from "./parse-error.ts";

/** One row of net-tools `route -n`. Reject routes show "-" as gateway and iface. */
export interface RouteNRow {
  readonly destination: string;
  readonly gateway: string;
  readonly genmask: string;
  /** As printed: "U", "UG", "UGH", "!" (reject)… */
  readonly flags: string;
  readonly metric: number;
  readonly iface: string;
}

const COLUMNS = ["Destination", "Gateway", "Genmask", "Flags", "Metric", "Ref", "Use", "Iface"];

/** Parses `route -n` (the default column set; `-e`/`-ee` and `-A inet6` print other tables). */
export function parseRouteN(text: string): RouteNRow[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const headerAt = lines.findIndex((l) => l.split(/\s+/).join(" ") === COLUMNS.join(" "));
  if (headerAt < 0) throw new ParseError("route -n", `no "${COLUMNS.join(" ")}" header line`, text);
  return lines.slice(headerAt + 1).map((line) => {
    const cells = line.split(/\s+/);
    const [destination, gateway, genmask, flags, metric, , , iface] = cells;
    if (cells.length !== COLUMNS.length || !/^\d+$/.test(metric!)) {
      throw new ParseError("route -n", `row does not have the ${COLUMNS.length} expected columns`, line);
    }
    return {
      destination: destination!,
      gateway: gateway!,
      genmask: genmask!,
      flags: flags!,
      metric: Number(metric),
      iface: iface!,
    };
  });
}

/** "255.255.255.0" → 24. Throws on a non-contiguous or malformed mask. */
export function prefixLength(genmask: string): number {
  if (!isIPv4(genmask)) throw new ParseError("route -n", "not a dotted IPv4 netmask", genmask);
  const bits = genmask
    .split(".")
    .map((o) => Number(o).toString(2).padStart(8, "0"))
    .join("");
  if (!/^1*0*$/.test(bits)) throw new ParseError("route -n", "netmask is not contiguous", genmask);
  return bits.indexOf("0") < 0 ? 32 : bits.indexOf("0");
}
