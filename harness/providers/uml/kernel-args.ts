export interface UmlArgsOptions {
  readonly memMb: number;
  readonly initPath: string;
  /** Holds UML's own pid file and mconsole socket (default would be ~/.uml). */
  readonly umlDir: string;
  readonly umid: string;
}

/**
 * The UML kernel command line. Console map (host fds of the spawned process):
 * - con0 on fds 0/1 (stdin/stdout pipes): the kernel console, /dev/console = /dev/tty0 inside.
 * - con1 on fd 3 (one socketpair, both directions): /dev/tty1, the tty sshd speaks SSH on.
 * - every other console and serial line null: by default UML would open xterms or host ptys.
 */
export function umlKernelArgs(options: UmlArgsOptions): string[] {
  return [
    `mem=${options.memMb}M`,
    "rootfstype=hostfs",
    "rw",
    `init=${options.initPath}`,
    "con=null",
    "ssl=null",
    "con0=fd:0,fd:1",
    "con1=fd:3,fd:3",
    `uml_dir=${options.umlDir}`,
    `umid=${options.umid}`,
    // poweroff and reboot both end the process: nothing may restart behind our back.
    "noreboot",
    // The RAID6 algorithm benchmark takes ~0.85 s of a ~1.2 s kernel boot (HZ=100: 16 jiffies
    // per algorithm). Nothing here uses RAID6 (no md raid456, no btrfs raid56).
    "initcall_blacklist=raid6_select_algo",
  ];
}
