import { join } from "node:path";
import { STATE_MARKER } from "../state-marker.ts";

export type NodeNamespace = "net" | "uts" | "mnt" | "pid";

/** Where everything of one namespace lab lives inside its state directory (on whichever host runs it). */
export class NetnsLayout {
  constructor(readonly dir: string) {}
  get marker(): string {
    return join(this.dir, STATE_MARKER);
  }
  /** Keys and sshd_configs of the lab instance that built it (see logins.ts). */
  get buildLogins(): string {
    return join(this.dir, "ssh");
  }
  /** Keys and sshd_configs of one `attach`, removed when it disconnects. */
  attachLogins(id: string): string {
    return join(this.dir, `attach-${id}`);
  }
  /** A passwd whose root shell is /bin/sh: commands must not run through the host user's dotfiles. */
  get passwd(): string {
    return join(this.dir, "passwd");
  }
  /** The nodes' own mounts (see nodeFstab). */
  get fstab(): string {
    return join(this.dir, "fstab");
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
  /** A bind mount that pins one namespace of the node (pid: the node's PID namespace, whose init is its PID 1). */
  nodeNs(node: string, kind: NodeNamespace): string {
    return join(this.nodeDir(node), kind);
  }
  /**
   * argv prefix that enters a node: its network, UTS and mount namespaces and its PID namespace
   * (nsenter forks for --pid), so whatever runs there is found and killed at teardown.
   */
  enter(node: string): string[] {
    return [
      "nsenter",
      `--net=${this.nodeNs(node, "net")}`,
      `--uts=${this.nodeNs(node, "uts")}`,
      `--mount=${this.nodeNs(node, "mnt")}`,
      `--pid=${this.nodeNs(node, "pid")}`,
      "--",
    ];
  }
  enterFabric(): string[] {
    return ["nsenter", `--net=${this.fabricNet}`, "--"];
  }
}
