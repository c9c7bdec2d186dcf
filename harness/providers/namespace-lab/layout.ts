import { join } from "node:path";

/** Where everything of one namespace lab lives inside its state directory (on whichever host runs it). */
export class NetnsLayout {
  constructor(readonly dir: string) {}
  get hostKey(): string {
    return join(this.dir, "ssh", "host_ed25519_key");
  }
  get authorizedKeys(): string {
    return join(this.dir, "ssh", "authorized_keys");
  }
  get sshdConfig(): string {
    return join(this.dir, "sshd_config");
  }
  /** A passwd whose root shell is /bin/sh: commands must not run through the host user's dotfiles. */
  get passwd(): string {
    return join(this.dir, "passwd");
  }
  /** The switch ports the fabric has, for a later `attach` (grading a trainer's lab). */
  get portsJson(): string {
    return join(this.dir, "ports.json");
  }
  get fabricNet(): string {
    return join(this.dir, "fabric", "net");
  }
  nodeDir(node: string): string {
    return join(this.dir, "nodes", node);
  }
  nodeNs(node: string, kind: "net" | "uts" | "mnt"): string {
    return join(this.nodeDir(node), kind);
  }
  /** argv prefix that enters a node's namespaces. */
  enter(node: string): string[] {
    return [
      "nsenter",
      `--net=${this.nodeNs(node, "net")}`,
      `--uts=${this.nodeNs(node, "uts")}`,
      `--mount=${this.nodeNs(node, "mnt")}`,
      "--",
    ];
  }
  enterFabric(): string[] {
    return ["nsenter", `--net=${this.fabricNet}`, "--"];
  }
}
