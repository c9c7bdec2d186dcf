import { chmod, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import ssh2 from "ssh2";
import { InfrastructureError } from "../model/errors.ts";

/** An ed25519 key pair made in memory: nothing secret touches the disk unless a caller writes it. */
export interface KeyPair {
  /** OpenSSH-format private key (what sshd's HostKey and ssh2's `privateKey` both read). */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA… comment`, one authorized_keys line. */
  readonly publicLine: string;
  /** Raw SSH key blob of the public key (what ssh2's hostVerifier receives), for pinning. */
  readonly publicBlob: Buffer;
}

/** An ed25519 public key is 32 bytes; the blob is string "ssh-ed25519" (4 + 11) then string key (4 + 32). */
const ED25519_BLOB_BYTES = 4 + 11 + 4 + 32;

/**
 * ssh2 1.17's keygen strips every leading zero byte of the public key's BIT STRING, meant for the
 * unused-bits byte only: one key in 256 whose public key starts with 0x00 comes out truncated, and
 * sshd then refuses it ("Unable to load host key: error in libcrypto"). With a key per node and lab
 * instance that is a lab in a few dozen: such a pair is drawn again.
 */
export function newKeyPair(comment = "macvlab"): KeyPair {
  for (let attempt = 0; attempt < 16; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync("ed25519", { comment });
    const publicBlob = keyBlobFromPublicLine(pair.public);
    if (publicBlob.length === ED25519_BLOB_BYTES)
      return { privateKey: pair.private, publicLine: pair.public, publicBlob };
  }
  throw new InfrastructureError("could not generate an ed25519 key pair (ssh2 kept truncating the public key)");
}

/** The key material one sshd needs, and what the harness logs in with. */
export interface LabKeys {
  /** Private host key file, for sshd_config's `HostKey`. */
  readonly hostKeyPath: string;
  /** Raw SSH key blob of the host key, for pinning. */
  readonly hostPublicKey: Buffer;
  /** OpenSSH-format private key, for ssh2's `privateKey`; kept in memory only. */
  readonly clientPrivateKey: Buffer;
  /** Holds the client public key, for sshd_config's `AuthorizedKeysFile`. */
  readonly authorizedKeysPath: string;
}

/**
 * Fresh keys for one sshd in a NEW directory `dir` (0700; its parent must exist): a host key and
 * authorized_keys, each created 0600 exclusively. Fresh on every call on purpose: keys belong to one
 * lab instance and go with its state directory; a directory that already exists is refused.
 */
export async function createLabKeys(dir: string): Promise<LabKeys> {
  await makePrivateDir(dir);
  const host = newKeyPair("macvlab-host");
  const client = newKeyPair("macvlab-client");
  const hostKeyPath = join(dir, "host_ed25519_key");
  const authorizedKeysPath = join(dir, "authorized_keys");
  await writeSecretFile(hostKeyPath, host.privateKey);
  await writeSecretFile(authorizedKeysPath, `${client.publicLine}\n`);
  return {
    hostKeyPath,
    hostPublicKey: host.publicBlob,
    clientPrivateKey: Buffer.from(client.privateKey),
    authorizedKeysPath,
  };
}

/** mkdir that fails on an existing path, then 0700 whatever the umask did (it can only have removed bits). */
export async function makePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (error) {
    throw new InfrastructureError(`cannot create private directory ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  await chmod(dir, 0o700);
}

/**
 * Creates `path` with mode 0600 and writes `content`: O_EXCL (a file, or a symlink planted there, is
 * refused) and the mode is set by open itself, so the content is never readable by anyone else.
 */
export async function writeSecretFile(path: string, content: string | Buffer): Promise<void> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, "wx", 0o600);
  } catch (error) {
    throw new InfrastructureError(`cannot create ${path} exclusively: ${(error as Error).message}`, { cause: error });
  }
  try {
    await file.writeFile(content);
  } finally {
    await file.close();
  }
}

/** `ssh-ed25519 AAAA... comment` → the decoded middle field. */
function keyBlobFromPublicLine(line: string, source = "public key"): Buffer {
  const base64 = line.trim().split(/\s+/)[1];
  if (!base64) throw new InfrastructureError(`${source}: not an OpenSSH public key line`);
  return Buffer.from(base64, "base64");
}
