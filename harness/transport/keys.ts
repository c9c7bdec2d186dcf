import { execFile } from "node:child_process";
import { access, chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { InfrastructureError } from "../model/errors.ts";

const execFileAsync = promisify(execFile);

/** The key material one lab needs: sshd's host key and the harness's client key. */
export interface LabKeys {
  /** Private host key file, for sshd_config's `HostKey`. */
  readonly hostKeyPath: string;
  /** Raw SSH key blob of the host key (what ssh2's hostVerifier receives), for pinning. */
  readonly hostPublicKey: Buffer;
  /** OpenSSH-format private key, for ssh2's `privateKey`. */
  readonly clientPrivateKey: Buffer;
  /** Holds the client public key, for sshd_config's `AuthorizedKeysFile`. */
  readonly authorizedKeysPath: string;
}

/**
 * Creates (or reuses) the lab's keys in `dir`. Keys are generated once so a re-run against the same
 * lab directory keeps the same pinned host key. Not safe against two concurrent calls on one `dir`.
 */
export async function ensureLabKeys(dir: string): Promise<LabKeys> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is masked by the umask and ignored for an existing directory.
  await chmod(dir, 0o700);

  const hostKeyPath = join(dir, "host_ed25519_key");
  const clientKeyPath = join(dir, "client_ed25519_key");
  const authorizedKeysPath = join(dir, "authorized_keys");
  await ensureKeyPair(hostKeyPath);
  await ensureKeyPair(clientKeyPath);

  const hostPublicLine = await readFile(`${hostKeyPath}.pub`, "utf8");
  const clientPublicLine = await readFile(`${clientKeyPath}.pub`, "utf8");
  await writeFile(authorizedKeysPath, `${clientPublicLine.trim()}\n`, { mode: 0o600 });

  return {
    hostKeyPath,
    hostPublicKey: keyBlobFromPublicLine(hostPublicLine, `${hostKeyPath}.pub`),
    clientPrivateKey: await readFile(clientKeyPath),
    authorizedKeysPath,
  };
}

/** `ssh-ed25519 AAAA... comment` → the decoded middle field. */
export function keyBlobFromPublicLine(line: string, source = "public key"): Buffer {
  const base64 = line.trim().split(/\s+/)[1];
  if (!base64) throw new InfrastructureError(`${source}: not an OpenSSH public key line`);
  return Buffer.from(base64, "base64");
}

async function ensureKeyPair(path: string): Promise<void> {
  if ((await exists(path)) && (await exists(`${path}.pub`))) return;
  // A half-written pair would make ssh-keygen ask "Overwrite (y/n)?" on stdin; start clean instead.
  await rm(path, { force: true });
  await rm(`${path}.pub`, { force: true });
  try {
    await execFileAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "macvlab", "-f", path]);
  } catch (error) {
    throw new InfrastructureError(`ssh-keygen failed for ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
