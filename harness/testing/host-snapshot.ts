import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * What a lab run must leave exactly as it found it in the host's root namespace: links, addresses,
 * routes, iptables, namespace mounts and named namespaces. Counters are dropped (traffic on eth0 moves them).
 */
export function hostSnapshot(): string {
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8" });
  const links = (JSON.parse(run("ip", ["-j", "link", "show"])) as Array<Record<string, unknown>>).map(
    ({ stats64: _s, ...rest }) => rest,
  );
  const iptables = run("iptables-save", [])
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.replace(/\[\d+:\d+\]/g, ""))
    .join("\n");
  const nsfs = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .filter((l) => l.includes(" nsfs "))
    .join("\n");
  return JSON.stringify(
    {
      links,
      addrs: JSON.parse(run("ip", ["-j", "addr", "show"])),
      routes: JSON.parse(run("ip", ["-j", "route", "show"])),
      iptables,
      nsfs,
      netns: run("ip", ["netns", "list"]),
    },
    null,
    1,
  );
}

/** Where the host mounts its cgroup hierarchies (v1 controllers, or one cgroup2): a node's engine leaves cgroups there. */
export function cgroupHierarchies(): string[] {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .filter((line) => / cgroup2? /.test(line))
    .map((line) => line.split(" ")[1] ?? "");
}

/** Processes a lab could leave: sshd sessions of the harness, nodes' init processes, a lab's keeper. */
export function strayProcesses(): string[] {
  const out = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return out.split("\n").filter((l) => /sshd: root@notty|sshd -i|macvlab-node-pid1|macvlab\.js keep /.test(l));
}
