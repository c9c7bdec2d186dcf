import { lstat } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { checkName, LabName } from "../../model/names.ts";
import { stateDir } from "../../model/paths.ts";
import { quoteArgv } from "../../transport/shell-quote.ts";
import { isMarked, notOurs } from "../state-marker.ts";
import { bootUml, type UmlMachine } from "./boot.ts";
import { ATTACH_ID, DETACH_LINE, KEEPER_OK, type KeeperReport, readLine, socketPath } from "./keeper-protocol.ts";

/** Channels of the keeper's console session: one per attach at once (a build, a grader, students' shells). */
export const KEEPER_CHANNELS = 8;
/** An attach names its directory at once, or the connection is not one of ours. */
const ATTACH_LINE_TIMEOUT_MS = 10_000;

export interface KeeperSettings {
  readonly memMb: number;
  readonly bootTimeoutMs: number;
}

/**
 * The keeper process (`macvlab keep uml <lab>`, started detached by `lab up --provider uml`): boots
 * the lab's kernel, serves attaches, and keeps the kernel exactly as long as it lives itself (the
 * kernel's watchdog is tied to this process). It ends, stopping the kernel, on SIGTERM, SIGINT or
 * SIGHUP, when the kernel exits, or when its starter goes away before handing the lab over.
 */
export async function keepUml(labName: string, settings: KeeperSettings): Promise<number> {
  checkName(LabName, labName, "keep: lab");
  const labDir = stateDir("uml", labName);
  // Only a lab dir `lab up` just made: the keeper never boots into a directory it cannot prove is ours.
  if (!(await isMarked(labDir))) throw notOurs(labDir);
  // Its starter reads one line and then closes the pipes: later writes must not kill the keeper.
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
  const report = (message: KeeperReport) => process.stdout.write(`${JSON.stringify(message)}\n`);

  const ending = endSignals();
  let machine: UmlMachine;
  try {
    machine = await bootUml({
      stateDir: join(labDir, "kernel"),
      name: labName,
      channels: KEEPER_CHANNELS,
      memMb: settings.memMb,
      bootTimeoutMs: settings.bootTimeoutMs,
    });
  } catch (error) {
    report({ failed: (error as Error).message });
    ending.dispose();
    return 1;
  }
  let server: Server | undefined;
  try {
    server = await serveAttaches(machine);
    report({ ready: { kernel: machine.kernelVersion, bootMs: machine.bootMs } });
    const why = await Promise.race([ending.signal, machine.exited.then(() => "the kernel exited"), starterGone()]);
    process.stderr.write(`macvlab keep uml ${labName}: stopping (${why})\n`);
    return 0;
  } finally {
    server?.close();
    await machine.stop();
    ending.dispose();
  }
}

/** Resolves with the reason when SIGTERM, SIGINT or SIGHUP arrives. */
function endSignals(): { signal: Promise<string>; dispose: () => void } {
  const handlers: Array<[NodeJS.Signals, () => void]> = [];
  const signal = new Promise<string>((resolve) => {
    for (const name of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      const handler = () => resolve(`${name} received`);
      handlers.push([name, handler]);
      process.on(name, handler);
    }
  });
  return {
    signal,
    dispose: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}

/**
 * Resolves if stdin ends before the starter said `detach`: it died (or gave up) while the lab was
 * being built. After `detach` it never resolves: the lab belongs to later commands.
 */
function starterGone(): Promise<string> {
  return new Promise<string>((resolve) => {
    let received = "";
    let detached = false;
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => {
      received = (received + chunk).slice(-256);
      if (received.split("\n").includes(DETACH_LINE)) detached = true;
    });
    const gone = () => {
      if (!detached) resolve("the process that started it went away before handing the lab over");
    };
    process.stdin.once("end", gone);
    process.stdin.once("error", gone);
  });
}

/** Listens on the kernel dir's attach socket: each connection becomes an `sshd -i` of the attach's own config. */
async function serveAttaches(machine: UmlMachine): Promise<Server> {
  const server = createServer((sock) => {
    void relay(machine, sock).catch((error: Error) => {
      if (!sock.destroyed) sock.end(`error: ${error.message}\n`);
    });
  });
  const where = socketPath(machine.stateDir);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      // 0700 state dir: only the user who brought the lab up reaches the socket.
      server.listen(where.path, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    where.close();
  }
  return server;
}

async function relay(machine: UmlMachine, sock: Socket): Promise<void> {
  sock.on("error", () => {});
  const id = await readLine(sock, "attach", ATTACH_LINE_TIMEOUT_MS, 64);
  if (!ATTACH_ID.test(id)) throw new Error("not an attach directory name");
  const config = join(machine.stateDir, id, "sshd_config");
  const stats = await lstat(config).catch(() => undefined);
  if (!stats?.isFile()) throw new Error(`no sshd_config in ${id}`);
  const sshd = await machine.shell.openStream(quoteArgv(["/usr/sbin/sshd", "-i", "-e", "-f", config]));
  const stop = () => {
    sock.destroy();
    void sshd.stop().catch(() => {});
  };
  sshd.sock.on("error", stop);
  sshd.sock.once("close", stop);
  sock.once("close", stop);
  sock.write(`${KEEPER_OK}\n`);
  sock.pipe(sshd.sock);
  sshd.sock.pipe(sock);
}
