import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { InfrastructureError, InputError } from "../../model/errors.ts";
import { createLabKeys } from "../../transport/keys.ts";
import { SERVER_SESSIONS_PER_CHANNEL, SshSession } from "../../transport/ssh-session.ts";
import { sshdConfig } from "../../transport/sshd-config.ts";
import { strictModesOverride } from "../../transport/strict-modes.ts";
import { MAX_CONSOLE_COMMAND_BYTES } from "./console-limit.ts";
import { KEEPER_OK, readLine, socketPath } from "./keeper-protocol.ts";
import type { UmlConsole } from "./uml-host.ts";

/** The keeper opens the attach's sshd over its console: a slow kernel may take a while to answer. */
const KEEPER_ANSWER_MS = 30_000;

/** A session into a kept kernel; `close` ends it and removes the attach's keys. */
export interface KeptConsole extends UmlConsole {
  close(): Promise<void>;
}

/**
 * An SSH session to root inside a lab's kernel through its keeper (see keeper-protocol.ts). Nothing
 * that grants the login is taken from the state dir: the keys are made here, fresh, the client key
 * kept in memory only, and the directory holding the rest is removed on close.
 */
export async function connectKeptConsole(labName: string, kernelDir: string, channels: number): Promise<KeptConsole> {
  const id = `attach-${process.pid}-${randomBytes(4).toString("hex")}`;
  const dir = join(kernelDir, id);
  const removeKeys = () => rm(dir, { recursive: true, force: true });
  let sock: Socket | undefined;
  try {
    const keys = await createLabKeys(dir);
    await writeFile(
      join(dir, "sshd_config"),
      sshdConfig(keys, [
        `MaxSessions ${channels * SERVER_SESSIONS_PER_CHANNEL}`,
        ...(await strictModesOverride(keys.authorizedKeysPath)),
      ]),
      { mode: 0o600, flag: "wx" },
    );
    sock = await connectSocket(labName, kernelDir);
    sock.write(`${id}\n`);
    const answer = await readLine(sock, `UML ${labName}: the keeper`, KEEPER_ANSWER_MS);
    if (answer !== KEEPER_OK)
      throw new InfrastructureError(`UML ${labName}: the keeper refused the attach (${answer})`);
    const shell = await SshSession.connect({
      node: labName,
      sock,
      hostKey: keys.hostPublicKey,
      privateKey: keys.clientPrivateKey,
      maxChannels: channels,
      maxCommandBytes: MAX_CONSOLE_COMMAND_BYTES,
    });
    const opened = sock;
    return {
      name: labName,
      shell,
      stateDir: kernelDir,
      async close() {
        await shell.close().catch(() => {});
        opened.destroy();
        await removeKeys();
      },
    };
  } catch (error) {
    sock?.destroy();
    await removeKeys();
    throw error;
  }
}

function connectSocket(labName: string, kernelDir: string): Promise<Socket> {
  const where = socketPath(kernelDir);
  return new Promise<Socket>((resolve, reject) => {
    const sock = connect(where.path);
    sock.once("connect", () => {
      sock.off("error", onError);
      resolve(sock);
    });
    const onError = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT" || error.code === "ECONNREFUSED"
          ? new InputError(
              `lab ${labName} is not up on uml: its kernel's keeper is gone (\`macvlab down ${labName}\` clears what is left)`,
            )
          : new InfrastructureError(`UML ${labName}: cannot reach the keeper: ${error.message}`, { cause: error }),
      );
    sock.once("error", onError);
  }).finally(where.close);
}
