import { join } from "node:path";
import { InfrastructureError } from "../../model/errors.ts";
import { newKeyPair } from "../../transport/keys.ts";
import { sshdConfig } from "../../transport/sshd-config.ts";
import { strictModesOverride } from "../../transport/strict-modes.ts";
import { type LabHost, mustRun } from "./lab-host.ts";

/** How the harness logs in to one node: the node's own sshd_config and the host key to pin. */
export interface NodeLogin {
  readonly sshdConfig: string;
  readonly hostPublicKey: Buffer;
}

/** Keys and sshd_configs of one lab instance (or one attach): made fresh, never read back. */
export interface NodeLogins {
  readonly dir: string;
  /** Kept in memory only: no private client key is ever written. */
  readonly clientPrivateKey: Buffer;
  node(name: string): NodeLogin;
}

/**
 * Writes into a NEW directory `dir` on `host` (0700): authorized_keys for a fresh client key, and per
 * node a fresh host key (0600, created exclusively) and an sshd_config naming them. A host key per
 * node: a key taken from one node cannot impersonate another.
 */
export async function writeNodeLogins(host: LabHost, dir: string, nodes: readonly string[]): Promise<NodeLogins> {
  await mustRun(host, ["sh", "-c", 'umask 077 && mkdir -- "$1"', "macvlab-mkdir", dir]);
  const client = newKeyPair("macvlab-client");
  const authorizedKeysPath = join(dir, "authorized_keys");
  await host.writeFile(authorizedKeysPath, `${client.publicLine}\n`, { mode: 0o600 });
  const extra = await strictModesOverride(authorizedKeysPath);
  const logins = new Map<string, NodeLogin>();
  for (const node of nodes) {
    const pair = newKeyPair(`macvlab-host-${node}`);
    const hostKeyPath = join(dir, node, "host_ed25519_key");
    await host.writeFile(hostKeyPath, pair.privateKey, { mode: 0o600 });
    const configPath = join(dir, node, "sshd_config");
    await host.writeFile(configPath, sshdConfig({ hostKeyPath, authorizedKeysPath }, extra), { mode: 0o600 });
    logins.set(node, { sshdConfig: configPath, hostPublicKey: pair.publicBlob });
  }
  return {
    dir,
    clientPrivateKey: Buffer.from(client.privateKey),
    node(name) {
      const login = logins.get(name);
      if (!login) throw new InfrastructureError(`no login was made for node ${name} in ${dir}`);
      return login;
    },
  };
}
