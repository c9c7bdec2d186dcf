import { spawn } from "node:child_process";

export interface GroupWatchdog {
  /** The group is gone (or being stopped by us): end the watchdog without it killing anything. */
  disarm(): void;
}

/**
 * The UML runs detached (its own process group), so it would outlive a harness that dies — and
 * `process.on("exit")` does not run when the harness is killed by a signal. This tiny detached
 * shell holds the read end of a pipe from us: when we die for any reason the pipe reaches EOF and
 * it SIGKILLs the whole group (the kernel's helpers included, which PR_SET_PDEATHSIG on the kernel
 * alone would leave behind).
 */
export function startGroupWatchdog(pgid: number): GroupWatchdog {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new TypeError(`bad process group ${pgid}`);
  // dash's kill: "-9 -PGID" signals the group ("--" is not accepted).
  const child = spawn("/bin/sh", ["-c", 'read _ || kill -9 -"$1" 2>/dev/null', "macvlab-uml-watchdog", String(pgid)], {
    detached: true, // Ctrl-C reaches our process group, not the watchdog's
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.on("error", () => {}); // no /bin/sh: stop() and the exit hook still clean up
  child.stdin?.on("error", () => {});
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.(); // must not keep the event loop alive
  let disarmed = false;
  return {
    disarm() {
      if (disarmed) return;
      disarmed = true;
      // SIGKILL before closing the pipe, so it never reaches its kill (the group id may be reused).
      child.kill("SIGKILL");
      child.stdin?.destroy();
    },
  };
}
