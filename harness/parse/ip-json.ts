import { z } from "zod";
import { parseJson } from "./json.ts";

// Loose objects everywhere: iproute2 adds fields between releases and per link kind
// (bridge timers, gso sizes…); checks must not break on a field nobody asserts on.

const linkInfoSchema = z.looseObject({
  info_kind: z.string().optional(),
  /** macvlan: mode bridge|private|vepa|passthru|source; vlan: protocol "802.1Q", id, flags; ipvlan: mode l2|l3|l3s. */
  info_data: z
    .looseObject({
      mode: z.string().optional(),
      flags: z.array(z.string()).optional(),
      protocol: z.string().optional(),
      id: z.number().optional(),
      /** bond: the active port (active-backup), absent when none. */
      active_slave: z.string().optional(),
      /** bond: link monitoring interval in ms (0: off). */
      miimon: z.number().optional(),
    })
    .optional(),
  /** Set on bridge/bond/team ports, e.g. "bridge". */
  info_slave_kind: z.string().optional(),
  /** A bond port: `state` ACTIVE|BACKUP, `mii_status` UP|DOWN. */
  info_slave_data: z.looseObject({ state: z.string().optional(), mii_status: z.string().optional() }).optional(),
});

const counterSchema = z.looseObject({ packets: z.number(), bytes: z.number() });

const linkSchema = z.looseObject({
  ifindex: z.number(),
  ifname: z.string(),
  flags: z.array(z.string()),
  mtu: z.number(),
  operstate: z.string(),
  /** MAC address; absent for link types without one. */
  address: z.string().optional(),
  /** Parent in this namespace (macvlan → its lower device, veth → peer); absent or null when the parent is elsewhere. */
  link: z.string().nullish(),
  /** Parent ifindex when the parent lives in another namespace (veth peer). */
  link_index: z.number().optional(),
  master: z.string().optional(),
  /** Only with `ip -d`. Counts every promiscuous user (bridge port, passthru macvlan), unlike the PROMISC flag. */
  promiscuity: z.number().optional(),
  /** Only with `ip -d`. */
  linkinfo: linkInfoSchema.optional(),
  /** Only with `ip -s`. */
  stats64: z.looseObject({ rx: counterSchema, tx: counterSchema }).optional(),
});

const addrInfoSchema = z.looseObject({
  family: z.string(),
  local: z.string(),
  prefixlen: z.number(),
  scope: z.string().optional(),
  label: z.string().optional(),
});

const addrSchema = z.looseObject({
  ifindex: z.number(),
  ifname: z.string(),
  flags: z.array(z.string()).optional(),
  operstate: z.string().optional(),
  addr_info: z.array(addrInfoSchema),
});

const routeSchema = z.looseObject({
  /** "default", "10.99.0.0/24", or a bare host address for /32 routes. */
  dst: z.string(),
  /** Set for unreachable/blackhole/prohibit routes; absent for ordinary unicast. */
  type: z.string().optional(),
  dev: z.string().optional(),
  gateway: z.string().optional(),
  protocol: z.string().optional(),
  scope: z.string().optional(),
  prefsrc: z.string().optional(),
  metric: z.number().optional(),
  flags: z.array(z.string()).default([]),
});

export type IpLinkInfo = z.infer<typeof linkInfoSchema>;
export type IpLink = z.infer<typeof linkSchema>;
export type IpAddrInfo = z.infer<typeof addrInfoSchema>;
export type IpAddr = z.infer<typeof addrSchema>;
export type IpRoute = z.infer<typeof routeSchema>;

/** Output of `ip -j link show` or `ip -j -d link show`. */
export function parseIpLinks(json: string): IpLink[] {
  return parseJsonArray("ip -j link show", json, linkSchema);
}

/** Output of `ip -j addr show`. */
export function parseIpAddrs(json: string): IpAddr[] {
  return parseJsonArray("ip -j addr show", json, addrSchema);
}

/** Output of `ip -j route show`. */
export function parseIpRoutes(json: string): IpRoute[] {
  return parseJsonArray("ip -j route show", json, routeSchema);
}

function parseJsonArray<T extends z.ZodType>(command: string, json: string, item: T): z.infer<T>[] {
  // Older iproute2 prints `{}` for every link a filter such as `-4` dropped.
  return parseJson(command, json, z.array(item), (value) =>
    Array.isArray(value) ? value.filter((entry) => !isEmptyObject(entry)) : value,
  );
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}
