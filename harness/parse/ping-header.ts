/** Which ping printed the output: iputils (Debian's) or busybox (containers, embedded). */
export type PingFlavour = "iputils" | "busybox";

export interface PingHeader {
  readonly flavour: PingFlavour;
  /** The address in parentheses; the name before it may be empty. */
  readonly address: string;
}

// busybox: "PING h (a): 56 data bytes", with -I ADDR "PING h (a) from ADDR: 56 data bytes". It is the
// only flavour with ": " right after the address or a one-word "from" clause.
const BUSYBOX = /^PING \S* \((.+?)\)(?: from \S+)?: \d+ data bytes$/;
// iputils: "PING h (a) 56(84) bytes of data." (IPv4); IPv6 "PING h(a) 56 data bytes" up to 20221126 and
// "PING h (a) 56 data bytes" since 20231222. -F adds ", flow 0x…, ", -I "from SRC DEV: " (DEV may be "").
// The name is empty when the resolver gave no canonical name: "PING  (10.0.0.2) …".
const IPUTILS = new RegExp(
  String.raw`^PING \S*? ?\((.+?)\) ?(?:, flow 0x[\da-f]+, )?(?:from \S+ \S*: )?` +
    String.raw`\d+(?:\(\d+\) bytes of data\.| data bytes)$`,
);

export function parsePingHeader(line: string): PingHeader | undefined {
  const busybox = BUSYBOX.exec(line);
  if (busybox) return { flavour: "busybox", address: busybox[1]! };
  const iputils = IPUTILS.exec(line);
  return iputils ? { flavour: "iputils", address: iputils[1]! } : undefined;
}
