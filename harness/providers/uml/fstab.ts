/**
 * The mounts the UML init makes, as two fstab files for `mount -a -T <file>`: one `mount`
 * process per file instead of one per mount. Every process started inside UML costs ~50 ms (a new
 * host process and mm, libraries read over hostfs), so this saves ~0.4 s of each boot.
 * All of them live in the UML kernel's mount table only; the host never sees them.
 */
export interface UmlMountPlan {
  /** proc, sys, /run, devpts, /dev/shm: before anything can be created under /run. */
  readonly early: string;
  /** Directories init must create between the two files (overlay layers, /run/sshd, /run/netns). */
  readonly dirs: readonly string[];
  /** overlay.ko to insmod before `late` (only when /usr/lib must be overlaid). */
  readonly overlayModule?: string;
  /** /lib/modules, the legacy-iptables and passwd/shadow binds. */
  readonly late: string;
}

export interface UmlMountOptions {
  /** `uname -r` of the UML kernel (not the host's). */
  readonly kernelVersion: string;
  /** The UML kernel's modules, e.g. /usr/lib/uml/modules/6.1.176. */
  readonly modulesDir: string;
  /** Whether the host has a /lib/modules directory to mount a tmpfs on. */
  readonly hostHasLibModules: boolean;
  readonly passwdPath: string;
  readonly shadowPath: string;
  /** tmpfs directory for init's own state (under /run). */
  readonly runDir: string;
}

const SAFE = /^[A-Za-z0-9_./+-]+$/; // fstab fields are whitespace-separated; no escaping needed

export function umlMountPlan(options: UmlMountOptions): UmlMountPlan {
  const { kernelVersion, modulesDir, passwdPath, shadowPath, runDir } = options;
  for (const value of [kernelVersion, modulesDir, passwdPath, shadowPath, runDir]) {
    if (!SAFE.test(value)) throw new TypeError(`UML fstab: unsafe path ${JSON.stringify(value)}`);
  }
  const early = [
    "proc /proc proc defaults 0 0",
    "sysfs /sys sysfs defaults 0 0",
    // Not over /tmp: the host's state directory may live there and must stay visible.
    "run /run tmpfs mode=0755 0 0",
    "devpts /dev/pts devpts gid=5,mode=0620,ptmxmode=0666,X-mount.mkdir 0 0",
    "shm /dev/shm tmpfs X-mount.mkdir 0 0",
  ];
  const upper = `${runDir}/usr-lib/upper`;
  const work = `${runDir}/usr-lib/work`;
  const late = [
    // modprobe, modinfo and kernel autoloading look in /lib/modules/$(uname -r). Where the host
    // has no /lib/modules (and the host is not ours to change) overlay /usr/lib with a tmpfs
    // upper layer that can hold the directory.
    options.hostHasLibModules
      ? "modules /lib/modules tmpfs mode=0755 0 0"
      : `usr-lib /usr/lib overlay lowerdir=/usr/lib,upperdir=${upper},workdir=${work} 0 0`,
    `${modulesDir} /lib/modules/${kernelVersion} none bind,X-mount.mkdir 0 0`,
    // nft-backed `iptables -t nat` fails in UML ("Operation not supported"); legacy works. Calls
    // reach the multi-binary as `iptables`, `iptables-save`…, which the legacy one understands.
    "/usr/sbin/xtables-legacy-multi /usr/sbin/xtables-nft-multi none bind 0 0",
    `${passwdPath} /etc/passwd none bind 0 0`,
    `${shadowPath} /etc/shadow none bind 0 0`,
  ];
  return {
    early: `${early.join("\n")}\n`,
    dirs: ["/run/sshd", "/run/netns", runDir, ...(options.hostHasLibModules ? [] : [upper, work])],
    ...(options.hostHasLibModules ? {} : { overlayModule: `${modulesDir}/kernel/fs/overlayfs/overlay.ko` }),
    late: `${late.join("\n")}\n`,
  };
}
