import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InfrastructureError, InputError } from "../model/errors.ts";
import { stateDir } from "../model/paths.ts";

/** Exclusive for what changes a lab (up, down, a whole run); shared for what only connects to it (grade, ssh). */
export type LockMode = "exclusive" | "shared";

export interface LabLockRequest {
  readonly provider: string;
  readonly lab: string;
  readonly mode: LockMode;
  /** Wait for the holder instead of failing at once (`--wait`). */
  readonly wait?: boolean;
}

/** Who holds a lab, as the holder wrote it next to the lock. */
export interface LabOwner {
  readonly pid: number;
  readonly command: string;
  readonly startedAt: string;
  readonly mode: LockMode;
}

export interface HeldLock {
  readonly provider: string;
  readonly lab: string;
  release(): Promise<void>;
}

/** Another live process holds the lab: exit 2, naming it, like any other input the user can change. */
export class LabBusyError extends InputError {}

/** flock's exit code when the lock is taken (`--conflict-exit-code`); 75 is EX_TEMPFAIL. */
const BUSY = 75;
const held = new Set<HeldLock>();
const pending = new Set<ChildProcess>();
/** Owner files this process wrote, to drop even on the way out without waiting (a second signal). */
const ownFiles = new Set<string>();

/** Each held lock's real release, for releaseAllLocks() once `release()` is frozen. */
const forced = new WeakMap<HeldLock, () => Promise<void>>();
let frozen = false;

/**
 * A kernel lock per lab state, held by a small `flock … cat` child whose stdin is a pipe from this
 * process: the lock lives exactly as long as that child, and the child as long as this process —
 * when it dies, however (SIGKILL included), the pipe reaches EOF, `cat` ends and the kernel frees
 * the lock. No stale lock files, no native module. The child gets its own session so a Ctrl-C at
 * the terminal does not free the lab while this process is still tearing it down.
 * Locks live under `<state root>/locks/<provider>/`, outside the lab's own state dir, so teardown
 * (which deletes that dir) never deletes a lock someone holds, and `list()` never sees them.
 */
export async function lockLab(request: LabLockRequest): Promise<HeldLock> {
  stateDir(request.provider, request.lab); // the lab name passes the same rule as its state dir
  const dir = locksDir(request.provider);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${request.lab}.lock`);
  let child = await flock(file, request.mode, false);
  if (!child) {
    const who = holderOf(request.provider, request.lab);
    if (!request.wait)
      throw new LabBusyError(`lab ${request.lab} is in use by ${who}; try again when it is done, or add --wait`);
    process.stderr.write(`macvlab: lab ${request.lab} is in use by ${who}; waiting for it (--wait)\n`);
    child = await flock(file, request.mode, true);
    if (!child) throw new InfrastructureError(`lab ${request.lab}: waiting for its lock ended without it`);
  }
  pruneDeadOwners(dir, request.lab);
  const ownerFile = join(dir, `${request.lab}.${process.pid}.owner`);
  const owner: LabOwner = {
    pid: process.pid,
    command: commandLine(),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    mode: request.mode,
  };
  writeFileSync(ownerFile, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  ownFiles.add(ownerFile);
  const locked = child;
  let releasing: Promise<void> | undefined;
  const release = () => {
    releasing ??= (async () => {
      held.delete(lock);
      rmSync(ownerFile, { force: true });
      ownFiles.delete(ownerFile);
      await stop(locked);
    })();
    return releasing;
  };
  const lock: HeldLock = {
    provider: request.provider,
    lab: request.lab,
    release: () => (frozen ? Promise.resolve() : release()),
  };
  forced.set(lock, release);
  held.add(lock);
  return lock;
}

/**
 * From now on `release()` keeps the lock: an interrupted command's work unwinds (and would let its
 * locks go) while its teardown is still running; only releaseAllLocks(), after the teardown, lets go.
 */
export function holdLocksUntilReleaseAll(): void {
  frozen = true;
}

/**
 * Several labs at once, in one order for every process (sorted), so two runs waiting for each
 * other's labs cannot deadlock. On a busy lab the ones already taken are released.
 */
export async function lockLabs(
  labs: ReadonlyArray<{ readonly provider: string; readonly lab: string }>,
  mode: LockMode,
  wait = false,
): Promise<HeldLock[]> {
  const keys = [...new Set(labs.map((l) => `${l.provider}\0${l.lab}`))].sort();
  const locks: HeldLock[] = [];
  try {
    for (const key of keys) {
      const [provider = "", lab = ""] = key.split("\0");
      locks.push(await lockLab({ provider, lab, mode, wait }));
    }
  } catch (error) {
    await releaseLocks(locks);
    throw error;
  }
  return locks;
}

export async function releaseLocks(locks: readonly HeldLock[]): Promise<void> {
  await Promise.all(locks.map((l) => l.release()));
}

/** Every lock this process holds or waits for (an interrupted command, on its way out). */
export async function releaseAllLocks(): Promise<number> {
  const count = held.size;
  for (const child of pending) child.kill("SIGKILL");
  await Promise.all([...held].map((lock) => forced.get(lock)?.()));
  return count;
}

/** For a process about to exit at once: the kernel frees its locks as it dies; this drops what it wrote beside them. */
export function dropOwnerFiles(): void {
  for (const file of ownFiles) rmSync(file, { force: true });
  ownFiles.clear();
}

/** The live holders of a lab as one phrase: "pid 4242: macvlab run … (exclusive lock on the netns lab, process started …)". */
export function holderOf(provider: string, lab: string): string {
  const owners = liveOwners(provider, lab);
  if (owners.length === 0) return "another process (it has not recorded itself yet)";
  return owners
    .map((o) => `pid ${o.pid}: ${o.command} (${o.mode} lock on the ${provider} lab, process started ${o.startedAt})`)
    .join("; ");
}

/** The live holders of a lab, as one phrase, or nothing when no process holds it. */
export function liveHolders(provider: string, lab: string): string | undefined {
  const owners = liveOwners(provider, lab);
  return owners.length ? owners.map((o) => `pid ${o.pid}: ${o.command}`).join("; ") : undefined;
}

function liveOwners(provider: string, lab: string): LabOwner[] {
  const dir = locksDir(provider);
  return ownerFiles(dir, lab).flatMap(({ pid, file }) => {
    if (!alive(pid)) return [];
    try {
      return [JSON.parse(readFileSync(file, "utf8")) as LabOwner];
    } catch {
      return [];
    }
  });
}

/** A holder killed outright (SIGKILL) lost its lock with its life, but its owner file stays: drop those. */
function pruneDeadOwners(dir: string, lab: string): void {
  for (const { pid, file } of ownerFiles(dir, lab)) if (!alive(pid)) rmSync(file, { force: true });
}

function ownerFiles(dir: string, lab: string): Array<{ pid: number; file: string }> {
  const pattern = new RegExp(`^${lab.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)\\.owner$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const pid = Number(pattern.exec(name)?.[1]);
    return pid ? [{ pid, file: join(dir, name) }] : [];
  });
}

function locksDir(provider: string): string {
  return stateDir("locks", provider);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function commandLine(): string {
  return ["macvlab", ...process.argv.slice(2)].join(" ");
}

/** The holding child once it says "locked"; undefined when the lock is busy (non-blocking only). */
function flock(file: string, mode: LockMode, block: boolean): Promise<ChildProcess | undefined> {
  const args = [`--${mode}`, ...(block ? [] : ["--nonblock"]), "--conflict-exit-code", String(BUSY)];
  const child = spawn("flock", [...args, file, "sh", "-c", "echo locked; exec cat"], {
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  pending.add(child);
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.once("data", () => {
      pending.delete(child);
      // Nothing more is read from it; the handles must not keep a finished command alive.
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
      (child.stdin as unknown as { unref?: () => void }).unref?.();
      resolve(child);
    });
    child.once("error", (error) => {
      pending.delete(child);
      reject(
        new InfrastructureError(`cannot lock ${file}: ${error.message} (flock comes with util-linux)`, {
          cause: error,
        }),
      );
    });
    child.once("exit", (code, signal) => {
      pending.delete(child);
      if (code === BUSY) resolve(undefined);
      else
        reject(
          new InfrastructureError(`cannot lock ${file}: flock ended (${signal ?? `exit ${code}`}) ${stderr.trim()}`),
        );
    });
  });
}

/** Closing the pipe ends `cat`, then flock: the kernel drops the lock. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 2000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
  });
}
