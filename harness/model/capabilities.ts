import { z } from "zod";

/** What a scenario may require and a provider may offer. Probed by providers, never assumed. */
export const CAPABILITIES = {
  macvlan: "create macvlan devices",
  "8021q": "create 802.1Q VLAN sub-interfaces",
  ipvlan: "create ipvlan devices",
  bridge: "create Linux bridges",
  bonding: "create bonding devices (bond)",
  team: "create team devices and run teamd / teamdctl (libteam-utils)",
  iptables: "iptables filter table",
  "iptables-nat": "iptables nat table (MASQUERADE)",
  "switch-hairpin": "turn hairpin on for a switch port of the lab (reflective relay for VEPA)",
  "switch-link": "take the link of a switch port of the lab down and up again (a pulled cable)",
  tcpdump: "capture frames on a node",
  docker: "run a Docker engine of its own in a node (docker.io) with a locally built busybox image (busybox-static)",
  "docker-registry": "load a registry image built from Debian's docker-registry into a node's engine",
} as const;

export type Capability = keyof typeof CAPABILITIES;
export const CapabilityName = z.enum(Object.keys(CAPABILITIES) as [Capability, ...Capability[]]);
