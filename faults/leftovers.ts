import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { cgroupHierarchies } from "../harness/testing/host-snapshot.ts";

/** A process the suite can name: pid and command line. */
export interface Proc {
  readonly pid: number;
  readonly cmdline: string;
}

export function processes(): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      found.push({ pid: Number(entry), cmdline });
    } catch {
      // gone between readdir and read
    }
  }
  return found;
}

/** Processes whose command line names `text` (a fault row's own directory, a marker argument). */
export function processesNaming(text: string): Proc[] {
  return processes().filter((p) => p.pid !== process.pid && p.cmdline.includes(text));
}

/** Mount points at or below `dir` (nsfs pins, the state dir's private bind mount, tmpfs). */
export function mountsBelow(dir: string): string[] {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

/**
 * What a row may leave in its state root: empty provider dirs, the lock files in `locks/<provider>/`
 * (a kernel lock is released with its holder; the file itself stays, as flock's files do) and the
 * image cache's busybox and registry tarballs (kept between runs on purpose). Anything else — a lab dir, an owner
 * file, keys, a half-written image — is a leftover.
 */
export function stateLeftovers(stateRoot: string): string[] {
  if (!existsSync(stateRoot)) return [];
  const left: string[] = [];
  for (const top of readdirSync(stateRoot)) {
    const dir = join(stateRoot, top);
    if (top === "cache") {
      for (const entry of readdirSync(dir))
        if (entry !== "images") left.push(join(top, entry));
        else
          for (const image of readdirSync(join(dir, entry)))
            if (!/^(busybox|registry)-[0-9a-f]{16}\.tar$/.test(image)) left.push(join(top, entry, image));
      continue;
    }
    if (top !== "locks") {
      for (const entry of readdirSync(dir)) left.push(join(top, entry));
      continue;
    }
    for (const provider of readdirSync(dir))
      for (const entry of readdirSync(join(dir, provider)))
        if (!entry.endsWith(".lock")) left.push(join(top, provider, entry));
  }
  return left;
}

/**
 * A node's Docker engine and what it runs (dockerd, containerd, shims, container processes) live in
 * the node's PID namespace, whose command lines need not name the row's dirs; the cgroups it made are
 * named `macvlab-<random>`. Rows run one at a time, so any of them here is a leftover.
 */
export function engineLeftovers(): string[] {
  const ownPidNs = readlinkSync("/proc/self/ns/pid");
  const engines = processes().filter((p) => {
    if (!/^(\S*\/)?(dockerd|containerd|containerd-shim\S*)( |$)/.test(p.cmdline)) return false;
    try {
      return readlinkSync(`/proc/${p.pid}/ns/pid`) !== ownPidNs;
    } catch {
      return false;
    }
  });
  const cgroups = cgroupHierarchies().flatMap((base) =>
    (existsSync(base) ? readdirSync(base).filter((e) => e.startsWith("macvlab-")) : []).map((e) => join(base, e)),
  );
  return [...engines.map((p) => `engine process ${p.pid}: ${p.cmdline}`), ...cgroups.map((c) => `cgroup ${c}`)];
}

/** Everything of a row still on the host, as lines; empty when the row left nothing. */
export function leftovers(workDir: string, stateRoot: string, markers: readonly string[] = []): string[] {
  return [
    ...engineLeftovers(),
    ...processesNaming(workDir).map((p) => `process ${p.pid}: ${p.cmdline}`),
    ...markers.flatMap((m) => processesNaming(m).map((p) => `process ${p.pid}: ${p.cmdline}`)),
    ...mountsBelow(workDir).map((m) => `mount ${m}`),
    ...stateLeftovers(stateRoot).map((s) => `state ${s}`),
  ];
}

/** Polls until `probe` returns nothing (a watchdog killing a kernel takes a moment), then returns what is left. */
export async function settle(probe: () => string[], ms: number): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = probe();
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}
