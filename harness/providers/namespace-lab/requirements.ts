import { accessSync, constants } from "node:fs";
import type { Missing } from "../provider.ts";

const TOOLS: ReadonlyArray<[path: string, what: string, pkg: string]> = [
  ["/usr/sbin/sshd", "OpenSSH server (sshd)", "openssh-server"],
  ["/usr/bin/ssh-keygen", "ssh-keygen", "openssh-client"],
  ["/usr/bin/nsenter", "nsenter", "util-linux"],
  ["/usr/bin/unshare", "unshare", "util-linux"],
  ["/usr/sbin/ip", "iproute2 (ip)", "iproute2"],
  ["/usr/sbin/bridge", "iproute2 (bridge)", "iproute2"],
  ["/usr/bin/ping", "ping", "iputils-ping"],
  ["/usr/sbin/iptables", "iptables", "iptables"],
  ["/usr/bin/tcpdump", "tcpdump", "tcpdump"],
];

/** Tools a namespace lab needs on the machine that builds it (the host, or the host's files seen by UML). */
export async function requiredTools(options: { needsRoot: boolean }): Promise<readonly Missing[]> {
  const missing: Missing[] = [];
  if (options.needsRoot && process.geteuid?.() !== 0)
    missing.push({
      what: "root (namespaces, veth and mounts on the host kernel need CAP_SYS_ADMIN)",
      install: "run as root, e.g. sudo, or use --provider uml",
    });
  for (const [path, what, pkg] of TOOLS) {
    const alt = path.replace("/usr/bin/", "/bin/").replace("/usr/sbin/", "/sbin/");
    if (!executable(path) && !executable(alt)) missing.push({ what, install: `apt-get install -y ${pkg}` });
  }
  return missing;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
