import { join } from "node:path";
import { InfrastructureError } from "../../model/errors.ts";
import { newKeyPair } from "../../transport/keys.ts";
import { sshdConfig } from "../../transport/sshd-config.ts";
import { strictModesOverride } from "../../transport/strict-modes.ts";
import { type FileToWrite, type LabHost, mustRun } from "./lab-host.ts";

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
export async function writeNodeLogins(
  host: LabHost,
  dir: string,
  nodes: readonly string[],
  /** Other files of the lab, written in the same round trip. */
  alongside: readonly FileToWrite[] = [],
): Promise<NodeLogins> {
  await mustRun(host, ["sh", "-c", 'umask 077 && mkdir -- "$1"', "macvlab-mkdir", dir]);
  const client = newKeyPair("macvlab-client");
  const authorizedKeysPath = join(dir, "authorized_keys");
  // Every file here is created 0600 in this new 0700 directory: if the directory passes StrictModes, so do they.
  const extra = await strictModesOverride(dir);
  const files: FileToWrite[] = [{ path: authorizedKeysPath, content: `${client.publicLine}\n`, mode: 0o600 }];
  const logins = new Map<string, NodeLogin>();
  for (const node of nodes) {
    const pair = newKeyPair(`macvlab-host-${node}`);
    const hostKeyPath = join(dir, node, "host_ed25519_key");
    const configPath = join(dir, node, "sshd_config");
    files.push(
      { path: hostKeyPath, content: pair.privateKey, mode: 0o600 },
      { path: configPath, content: sshdConfig({ hostKeyPath, authorizedKeysPath }, extra), mode: 0o600 },
    );
    logins.set(node, { sshdConfig: configPath, hostPublicKey: pair.publicBlob });
  }
  await host.writeFiles([...alongside, ...files]);
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
