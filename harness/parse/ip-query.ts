import type { IpAddr, IpLink, IpRoute } from "./ip-json.ts";

export function findLink(links: readonly IpLink[], name: string): IpLink | undefined {
  return links.find((link) => link.ifname === name);
}

/** A flag from `ip link`'s <…> list, e.g. "PROMISC", "UP", "LOWER_UP". */
export function hasFlag(link: IpLink, flag: string): boolean {
  return link.flags.includes(flag);
}

/** IPv4 addresses of one interface in CIDR form ("10.99.0.1/24"), in kernel order. */
export function ipv4Addresses(addrs: readonly IpAddr[], ifname: string): string[] {
  const entry = addrs.find((a) => a.ifname === ifname);
  return (entry?.addr_info ?? []).filter((i) => i.family === "inet").map((i) => `${i.local}/${i.prefixlen}`);
}

export interface RouteQuery {
  /** Compared exactly (no prefix containment): "172.16.10.0/24" ≠ "172.16.10.0/25". */
  readonly dst: string;
  readonly dev?: string;
  /** Next hop; a route without a gateway never matches a query with `via`. */
  readonly via?: string;
}

export function routeMatches(route: IpRoute, query: RouteQuery): boolean {
  return canonicalDst(route.dst) === canonicalDst(query.dst)
    && (query.dev === undefined || route.dev === query.dev)
    && (query.via === undefined || route.gateway === query.via);
}

/**
 * `ip` prints "default" for 0.0.0.0/0 and a bare address for host routes, so spelling the
 * same destination the other way in a scenario must not make a check fail.
 */
function canonicalDst(dst: string): string {
  if (dst === "0.0.0.0/0" || dst === "::/0") return "default";
  if (dst.endsWith("/32") && !dst.includes(":")) return dst.slice(0, -3);
  if (dst.endsWith("/128") && dst.includes(":")) return dst.slice(0, -4);
  return dst;
}
