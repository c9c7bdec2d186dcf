import type { Capability } from "../../model/capabilities.ts";
import { InfrastructureError } from "../../model/errors.ts";
import { quoteWord } from "../../transport/shell-quote.ts";
import type { CapabilityReport } from "../provider.ts";
import type { LabHost } from "./lab-host.ts";

/**
 * Each capability is measured by doing the thing in a throwaway network namespace (`unshare --net`,
 * gone when the probe exits), so the host's own namespace is never touched. The same probes run on
 * this machine (netns) and inside a UML kernel (uml).
 */
const PROBES: ReadonlyArray<[Capability, string, string]> = [
  ["bridge", "ip link add name pb type bridge", "kernel has no bridge support"],
  ["macvlan", "ip link add link p0 name pm type macvlan mode bridge", "kernel has no macvlan"],
  ["8021q", "ip link add link p0 name p0.100 type vlan id 100", "kernel has no 8021q (802.1Q VLAN)"],
  ["ipvlan", "ip link add link p0 name pi type ipvlan mode l2", "kernel has no ipvlan"],
  ["bonding", "ip link add name pbond type bond mode active-backup", "kernel has no bonding"],
  [
    "team",
    "ip link add name pteam type team && command -v teamd && command -v teamdctl",
    "kernel has no team driver, or teamd/teamdctl are missing (apt-get install -y libteam-utils)",
  ],
  ["iptables", "iptables -S FORWARD", "iptables does not work (filter table)"],
  ["iptables-nat", "iptables -t nat -A POSTROUTING -o p0 -j MASQUERADE", "iptables nat table does not work"],
  [
    "switch-hairpin",
    "ip link add name pb type bridge && ip link set dev p0 master pb && bridge link set dev p0 hairpin on",
    "bridge ports cannot be set to hairpin",
  ],
  [
    "switch-link",
    "ip link add name pb type bridge && ip link set dev p0 master pb && ip link set dev p1 up && ip link set dev p0 down",
    "bridge ports cannot be taken down",
  ],
  ["tcpdump", "command -v tcpdump", "tcpdump is not installed (apt-get install -y tcpdump)"],
  [
    "docker",
    // The engine's own tools, and a busybox that runs in an image holding nothing else (static).
    "command -v dockerd && command -v containerd && command -v runc && command -v docker && [ -x /bin/busybox ] && ! ldd /bin/busybox",
    "Docker or a static busybox is missing (apt-get install -y docker.io busybox-static)",
  ],
  [
    "docker-registry",
    // The image is Debian's binary with the libraries it links (ldd must answer), nothing else.
    "[ -x /usr/bin/docker-registry ] && ldd /usr/bin/docker-registry >/dev/null",
    "Debian's docker-registry is missing (apt-get install -y docker-registry; its own service on the host is not needed)",
  ],
];

/**
 * The kernel's release, then every probe, in one script (one round trip: on UML each costs ~0.1 s
 * before any work), each probe in a namespace of its own, printing one line: its exit code, then
 * the first line it wrote on stderr. Builtins only around the probes: on UML every extra process is dear too.
 */
function probeScript(): string {
  const nl = "'\n'";
  const lines = [`nl=${nl}`, "uname -r"];
  for (const [, script] of PROBES)
    lines.push(
      `err=$(unshare --net sh -c ${quoteWord(`ip link add name p0 type veth peer name p1 && ${script}`)} 2>&1 >/dev/null)`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's parameter expansion (stderr's first line)
      'rc=$?; echo "$rc ${err%%"$nl"*}"',
    );
  return lines.join("\n");
}

export async function probeCapabilities(host: LabHost, provider: string): Promise<CapabilityReport> {
  const has = new Set<Capability>();
  const absent = new Map<Capability, string>();
  const result = await host.run(["sh", "-c", probeScript()], { timeoutMs: 10_000 * PROBES.length });
  const [kernel = "", ...answers] = result.stdout.split("\n");
  if (result.exitCode !== 0 || answers.length < PROBES.length)
    throw new InfrastructureError(
      `${host.description}: the capability probes did not run (exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
  for (const [i, [capability, , reason]] of PROBES.entries()) {
    const [, code = "", first = ""] = /^(\d+) ?(.*)$/.exec(answers[i] ?? "") ?? [];
    if (code === "0") has.add(capability);
    else absent.set(capability, `${reason} (${first.trim() || "failed"})`);
  }
  return { provider, kernel, has, absent };
}
