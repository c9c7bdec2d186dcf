/**
 * Whether two route destinations mean the same prefix. `ip` prints "default" for 0.0.0.0/0 and a bare
 * address for a host route, while the commands that made them (`ip route add 172.16.5.2/32 …`) may
 * spell them the other way: a scenario can use either spelling.
 */
export function sameDestination(a: string, b: string): boolean {
  return canonicalDestination(a) === canonicalDestination(b);
}

function canonicalDestination(dst: string): string {
  if (dst === "0.0.0.0/0" || dst === "::/0") return "default";
  if (dst.endsWith("/32") && !dst.includes(":")) return dst.slice(0, -3);
  // Only IPv6 has a /128.
  if (dst.endsWith("/128")) return dst.slice(0, -4);
  return dst;
}
