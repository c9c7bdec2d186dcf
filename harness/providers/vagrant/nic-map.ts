import { InfrastructureError } from "../../model/errors.ts";
import { quoteWord } from "../../transport/shell-quote.ts";
import type { NicMarker } from "./markers.ts";

/** One entry of the guest's `ip -j addr show`. */
export interface GuestLink {
  readonly ifname: string;
  readonly address?: string;
  readonly addr_info?: ReadonlyArray<{ readonly family?: string; readonly local?: string }>;
}

export interface NicAssignment {
  readonly marker: NicMarker;
  /** The guest's current name for the NIC. */
  readonly current: string;
}

/**
 * Finds each lab NIC in the guest: by the MAC the Vagrantfile gave it (VirtualBox, libvirt), else by
 * the marker address Vagrant gave it (docker cannot set a MAC on `network connect`).
 */
export function assignNics(node: string, markers: readonly NicMarker[], links: readonly GuestLink[]): NicAssignment[] {
  const taken = new Set<string>();
  return markers.map((marker) => {
    const byMac = links.find((l) => !taken.has(l.ifname) && l.address?.toLowerCase() === marker.mac);
    const byAddress = links.find(
      (l) => !taken.has(l.ifname) && (l.addr_info ?? []).some((a) => a.family === "inet" && a.local === marker.address),
    );
    const found = byMac ?? byAddress;
    if (!found) {
      const seen = links
        .map((l) => `${l.ifname} ${l.address ?? "?"} ${(l.addr_info ?? []).map((a) => a.local).join(" ")}`.trim())
        .join("; ");
      throw new InfrastructureError(
        `machine ${node}: no guest NIC for lab NIC ${marker.name} (segment ${marker.segment}): looked for MAC ${marker.mac} or address ${marker.address}; the guest has: ${seen}`,
      );
    }
    taken.add(found.ifname);
    return { marker, current: found.ifname };
  });
}

/**
 * Shell script (run as root in the guest) that gives every lab NIC the lab's name and MAC, starts it
 * non-promiscuous (the lab's "promiscuous" is the hypervisor's allow-all; `promisc on` inside the
 * guest is the articles' own step, left to the scenario or the student), removes the marker address, and moves aside a guest interface that already holds a lab name
 * (a VirtualBox box's own NAT NIC may be called enp0s3), and makes the network sysctls writable. The guest's default route goes too: a lab
 * node talks only on its lab segments (Vagrant's SSH still works over the NAT/bridge subnet route).
 */
export function nicScript(assignments: readonly NicAssignment[], links: readonly GuestLink[]): string {
  const q = quoteWord;
  const lines = [
    "set -e",
    // Docker mounts /proc/sys read-only: make only /proc/sys/net writable (per-network-namespace
    // sysctls such as ip_forward, which the scenarios toggle); kernel.* stays read-only.
    "if [ ! -w /proc/sys/net/ipv4/ip_forward ]; then mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net; fi",
  ];
  const chosen = new Set(assignments.map((a) => a.current));
  assignments.forEach((a, i) => {
    if (a.current !== a.marker.name)
      lines.push(`ip link set dev ${q(a.current)} down`, `ip link set dev ${q(a.current)} name mvl${i}`);
  });
  const wanted = new Set(assignments.map((a) => a.marker.name));
  let spare = 0;
  for (const link of links) {
    if (chosen.has(link.ifname) || !wanted.has(link.ifname)) continue;
    const aside = `vgmt${spare++}`;
    lines.push(
      `ip link set dev ${q(link.ifname)} down`,
      `ip link set dev ${q(link.ifname)} name ${aside}`,
      `ip link set dev ${aside} up`,
    );
  }
  assignments.forEach((a, i) => {
    const name = q(a.marker.name);
    if (a.current !== a.marker.name) lines.push(`ip link set dev mvl${i} name ${name}`);
    lines.push(
      `ip link set dev ${name} address ${a.marker.mac}`,
      `ip -4 addr flush dev ${name}`,
      `ip link set dev ${name} promisc off`,
      `ip link set dev ${name} up`,
    );
  });
  lines.push("ip -4 route del default 2>/dev/null || true", "ip -6 route del default 2>/dev/null || true");
  return lines.join("\n");
}
