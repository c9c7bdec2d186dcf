import { spawn } from "node:child_process";
import type { Socket } from "node:net";

export interface GroupWatchdog {
  /** The group is gone (or stopped by us): end the watchdog without it killing anything. */
  disarm(): void;
}

/** Groups to SIGKILL if the harness exits normally (or by an uncaught error) without stopping them. */
const guarded = new Set<number>();
let exitHookInstalled = false;

function killGuardedOnExit(): void {
  for (const pgid of guarded) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * The UML runs detached (its own process group), so it would outlive a harness that dies. Two
 * guards: one `exit` hook for all groups (runs on normal exit and uncaught errors, kills at once),
 * and per group a tiny detached shell holding the read end of a pipe from us — when we die in any
 * way, signals included, the pipe reaches EOF and it SIGKILLs the whole group (the kernel's helper
 * processes too, which PR_SET_PDEATHSIG on the kernel alone would leave behind).
 */
export function startGroupWatchdog(pgid: number): GroupWatchdog {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new TypeError(`bad process group ${pgid}`);
  guarded.add(pgid);
  if (!exitHookInstalled) {
    process.on("exit", killGuardedOnExit);
    exitHookInstalled = true;
  }
  // dash's kill: "-9 -PGID" signals the group ("--" is not accepted).
  const child = spawn("/bin/sh", ["-c", 'read _ || kill -9 -"$1" 2>/dev/null', "macvlab-uml-watchdog", String(pgid)], {
    detached: true, // Ctrl-C reaches our process group, not the watchdog's
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.on("error", () => {}); // no /bin/sh: stop() and the exit hook still clean up
  child.stdin?.on("error", () => {});
  child.unref();
  // The pipe must not keep the event loop alive either: a child's stdin is a net.Socket at run time,
  // though Node's types only promise a Writable.
  (child.stdin as Socket | null)?.unref();
  let disarmed = false;
  return {
    disarm() {
      if (disarmed) return;
      disarmed = true;
      guarded.delete(pgid);
      // SIGKILL before closing the pipe, so it never reaches its kill (the group id may be reused).
      child.kill("SIGKILL");
      child.stdin?.destroy();
    },
  };
}
