import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { type Socket, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { Client } from "ssh2";
import { InfrastructureError } from "../../model/errors.ts";
import { fingerprint, SERVER_SESSIONS_PER_CHANNEL, SshSession } from "../../transport/ssh-session.ts";
import type { SshConfig } from "./vagrant-cli.ts";

/** A TCP connection to the machine's SSH port, or an InfrastructureError naming the machine. */
export function openTcp(machine: string, target: Pick<SshConfig, "host" | "port">, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new InfrastructureError(
          `machine ${machine}: SSH not ready: no TCP connection to ${target.host}:${target.port} within ${timeoutMs} ms (is it running? \`vagrant status ${machine}\`)`,
        ),
      );
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once("error", (error) => {
      clearTimeout(timer);
      reject(
        new InfrastructureError(
          `machine ${machine}: SSH not ready at ${target.host}:${target.port} (${error.message}); check \`vagrant status ${machine}\`, \`vagrant up ${machine}\``,
          { cause: error },
        ),
      );
    });
  });
}

/** Reads the key the server offers, then hangs up (trust on first use). */
export async function learnHostKey(
  machine: string,
  target: Pick<SshConfig, "host" | "port">,
  timeoutMs: number,
): Promise<Buffer> {
  const sock = await openTcp(machine, target, timeoutMs);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let key: Buffer | undefined;
    const timer = setTimeout(() => done(), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      client.removeAllListeners();
      client.on("error", () => {});
      sock.destroy();
      if (key) resolve(key);
      else
        reject(
          new InfrastructureError(
            `machine ${machine}: SSH not ready at ${target.host}:${target.port}: no host key offered within ${timeoutMs} ms`,
          ),
        );
    };
    client.on("error", done);
    client.on("close", done);
    client.connect({
      sock,
      username: "vagrant",
      readyTimeout: timeoutMs,
      hostVerifier: (offered: Buffer) => {
        key = Buffer.from(offered);
        setImmediate(done);
        return false;
      },
    });
  });
}

/**
 * Host keys pinned per `up`: the first connection to a machine after `vagrant up` records its key
 * in the provider's state dir; every later connection must offer the same key.
 */
export class HostKeyPins {
  constructor(private readonly dir: string) {}

  async reset(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  async keyFor(machine: string, target: Pick<SshConfig, "host" | "port">, timeoutMs: number): Promise<Buffer> {
    const file = join(this.dir, `${machine}.key`);
    const pinned = await readFile(file, "utf8").catch(() => undefined);
    if (pinned) return Buffer.from(pinned.trim(), "base64");
    const key = await learnHostKey(machine, target, timeoutMs);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${key.toString("base64")}\n`, { mode: 0o600 });
    return key;
  }
}

/** The guest's own sshd keeps its default MaxSessions (10): half of it, see SERVER_SESSIONS_PER_CHANNEL. */
const GUEST_CHANNELS = Math.floor(10 / SERVER_SESSIONS_PER_CHANNEL);

/** SSH session to a machine as reported by `vagrant ssh-config`, with the pinned host key. */
export async function connectMachine(
  machine: string,
  config: SshConfig,
  pins: HostKeyPins,
  timeoutMs: number,
): Promise<SshSession> {
  const keyFile = config.identityFiles[0];
  if (!keyFile) throw new InfrastructureError(`machine ${machine}: vagrant ssh-config names no IdentityFile`);
  const privateKey = await readFile(keyFile).catch((error: Error) => {
    throw new InfrastructureError(
      `machine ${machine}: cannot read the key Vagrant reports (${keyFile}): ${error.message}`,
    );
  });
  const hostKey = await pins.keyFor(machine, config, timeoutMs);
  const sock = await openTcp(machine, config, timeoutMs);
  return SshSession.connect({
    node: machine,
    sock,
    hostKey,
    privateKey,
    username: config.user,
    readyTimeoutMs: timeoutMs,
    keepaliveIntervalMs: 5000,
    maxChannels: GUEST_CHANNELS,
    diagnostics: () =>
      `(vagrant machine ${machine} at ${config.host}:${config.port}, pinned host key ${fingerprint(hostKey)})`,
  });
}
