import { type ChildProcess, spawn } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { InfrastructureError } from "../../model/errors.ts";
import { CLI_ENTRY } from "../../model/paths.ts";
import { BoundedOutput } from "../../transport/bounded-output.ts";
import { DETACH_LINE, type KeeperReport, keeperArgs, readLine } from "./keeper-protocol.ts";
import { type ProcessIdentity, processIdentity, sameProcess } from "./process-identity.ts";
import { killStrayUml } from "./stray.ts";

/** Beyond the kernel's own boot deadline: the keeper's start (Node, the CLI) and its report. */
const REPORT_GRACE_MS = 30_000;
/** A keeper asked to stop powers its kernel off (1.5 s at most) and kills what is left. */
const STOP_WAIT_MS = 15_000;

/** A keeper this process started: the lab's kernel, until `detach` hands it to later commands. */
export interface KeeperHandle {
  readonly kernelVersion: string;
  /** The lab is built and released: the keeper keeps the kernel after this process exits. */
  detach(): void;
  /** Stops the keeper and with it the kernel; waits until both are gone. */
  stop(): Promise<void>;
}

export function keeperRecordPath(labDir: string): string {
  return join(labDir, "keeper.json");
}

/**
 * Starts `macvlab keep uml <lab>` in a session of its own (the terminal's Ctrl-C and hangup are
 * not its business once the lab is handed over) and waits for its report. It is recorded (pid,
 * start time, command line) before it boots anything, so that an interrupt or a later `down` can
 * stop it and only it.
 */
export async function startUmlKeeper(labDir: string, labName: string, bootTimeoutMs: number): Promise<KeeperHandle> {
  const child = spawn(process.execPath, [CLI_ENTRY, ...keeperArgs(labName)], {
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    env: process.env,
  });
  const stderr = BoundedOutput.tailOnly(16_384);
  child.stderr?.on("data", (chunk: Buffer) => stderr.append(chunk));
  for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.on("error", () => {});
  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => resolve(`could not start: ${error.message}`));
    child.once("exit", (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
  });
  const identity = child.pid === undefined ? undefined : processIdentity(child.pid);
  const handle = keeperHandle(child, labDir, exited);
  let report: KeeperReport;
  try {
    if (!identity) throw new Error(`the keeper exited at once (${await exited})`);
    await writeFile(keeperRecordPath(labDir), `${JSON.stringify(identity)}\n`, { mode: 0o600, flag: "wx" });
    if (!child.stdout) throw new Error("the keeper has no stdout");
    const line = await Promise.race([
      readLine(child.stdout, "the keeper's report", bootTimeoutMs + REPORT_GRACE_MS),
      exited.then((how) => Promise.reject(new Error(`the keeper ended (${how})`))),
    ]);
    report = JSON.parse(line) as KeeperReport;
  } catch (error) {
    await handle.stop();
    throw new InfrastructureError(`UML ${labName}: ${(error as Error).message}${said(stderr)}`, { cause: error });
  }
  if ("failed" in report) {
    await handle.stop();
    throw new InfrastructureError(report.failed);
  }
  return { ...handle, kernelVersion: report.ready.kernel };
}

function said(stderr: BoundedOutput): string {
  const text = stderr.toString().trim();
  return text ? `\nthe keeper said:\n${text}` : "";
}

function keeperHandle(
  child: ChildProcess,
  labDir: string,
  exited: Promise<string>,
): Omit<KeeperHandle, "kernelVersion"> {
  let stopping: Promise<void> | undefined;
  return {
    detach() {
      child.stdin?.end(`${DETACH_LINE}\n`);
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
    },
    stop() {
      stopping ??= (async () => {
        // EOF before `detach`: the keeper powers the kernel off and exits; a signal if it does not.
        child.stdin?.end();
        const ended = await Promise.race([exited.then(() => true), sleep(STOP_WAIT_MS).then(() => false)]);
        if (!ended) await stopRecordedKeeper(labDir);
        await killStrayUml(join(labDir, "kernel"));
        await rm(keeperRecordPath(labDir), { force: true });
      })();
      return stopping;
    },
  };
}

/**
 * Stops the keeper a lab dir recorded, from any process (`down`, an interrupt's cleanup): only if
 * the pid is still that very process (same start time, same command line naming the keeper
 * command). SIGTERM first (it powers the kernel off), SIGKILL after STOP_WAIT_MS (its watchdog then
 * kills the kernel). A stale or foreign record is removed and nothing is signalled.
 */
export async function stopRecordedKeeper(labDir: string): Promise<void> {
  const path = keeperRecordPath(labDir);
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return;
  const record = parseRecord(text);
  const live = record ? processIdentity(record.pid) : undefined;
  if (record && live && sameProcess(live, record) && isKeeperCommandLine(record.cmdline)) {
    signal(record.pid, "SIGTERM");
    const deadline = Date.now() + STOP_WAIT_MS;
    while (stillThere(record) && Date.now() < deadline) await sleep(50);
    if (stillThere(record)) signal(record.pid, "SIGKILL");
    while (stillThere(record) && Date.now() < deadline + 5000) await sleep(50);
  }
  await rm(path, { force: true });
}

/** Ends in `keep uml <lab>`, as the command line startUmlKeeper gives a keeper. */
function isKeeperCommandLine(cmdline: readonly string[]): boolean {
  const tail = cmdline.slice(-3);
  const lab = tail[2];
  return lab !== undefined && tail.join("\0") === keeperArgs(lab).join("\0");
}

function stillThere(record: ProcessIdentity): boolean {
  const live = processIdentity(record.pid);
  return live !== undefined && sameProcess(live, record);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone meanwhile
  }
}

function parseRecord(text: string): ProcessIdentity | undefined {
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const { pid, startTime, cmdline } = value;
    if (!Number.isSafeInteger(pid) || (pid as number) <= 1 || !Number.isSafeInteger(startTime)) return undefined;
    if (!Array.isArray(cmdline) || !cmdline.every((arg) => typeof arg === "string")) return undefined;
    return { pid: pid as number, startTime: startTime as number, cmdline: cmdline as string[] };
  } catch {
    return undefined;
  }
}
