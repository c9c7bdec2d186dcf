/**
 * Lab bring-up by size, per provider, beside the floor: the same namespaces, veth pairs and switch made
 * by a bare shell script (timed inside the script, so no transport is counted), on the host kernel
 * for netns and inside a UML kernel for uml. And per-command latency through the harness's SSH beside
 * `ip netns exec … true` on the same kernel.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Lab } from "../harness/model/lab.ts";
import { loadLab } from "../harness/model/load-lab.ts";
import { providerNamed } from "../harness/providers/registry.ts";
import { bootUml } from "../harness/providers/uml/boot.ts";
import type { Shell } from "../harness/transport/shell.ts";

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** `bench-<n>`: n nodes, one NIC each, all on one switch. */
export function syntheticLab(dir: string, nodes: number): Lab {
  const lines = [`name: bench-${nodes}`, "segments:", "  lan: { kind: switch }", "nodes:"];
  for (let i = 1; i <= nodes; i++) lines.push(`  node${i}:`, "    nics:", "      - { name: eth0, segment: lan }");
  const file = join(dir, `bench-${nodes}.yaml`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return loadLab(file);
}

/**
 * The floor: a fabric namespace with a bridge, n node namespaces each with a veth into it, all up;
 * prints the milliseconds it took, then removes it all (names carry the script's pid).
 */
export function floorScript(nodes: number): string {
  return `p=mvbench$$
t0=$(date +%s%N)
ip netns add $p-f && ip -n $p-f link add sw type bridge && ip -n $p-f link set dev sw up || exit 1
i=0
while [ $i -lt ${nodes} ]; do
  ip netns add $p-$i
  ip -n $p-f link add n$i type veth peer name eth0 netns $p-$i
  ip -n $p-f link set dev n$i master sw up
  ip -n $p-$i link set dev eth0 up
  i=$((i+1))
done
t1=$(date +%s%N)
i=0
while [ $i -lt 20 ]; do ip netns exec $p-0 true; i=$((i+1)); done
t2=$(date +%s%N)
echo "$(( (t1 - t0) / 1000000 )) $(( (t2 - t1) / 20000 ))"
i=0
while [ $i -lt ${nodes} ]; do ip netns del $p-$i; i=$((i+1)); done
ip netns del $p-f`;
}

export interface Floor {
  readonly upMs: number;
  /** `ip netns exec … true`, in microseconds. */
  readonly execUs: number;
}

async function floorOn(shell: Shell, nodes: number): Promise<Floor> {
  const result = await shell.exec(floorScript(nodes), { timeoutMs: 600_000, reject: true });
  const [up = "", exec = ""] = result.stdout.trim().split(/\s+/);
  return { upMs: Number(up), execUs: Number(exec) };
}

/** The floor on the host kernel (netns) and inside a UML kernel booted for it (uml). */
export async function floors(work: string, sizes: readonly number[], provider: "netns" | "uml"): Promise<Floor[]> {
  if (provider === "netns") {
    return sizes.map((n) => {
      const [up = "", exec = ""] = execFileSync("sh", ["-c", floorScript(n)], { encoding: "utf8" })
        .trim()
        .split(/\s+/);
      return { upMs: Number(up), execUs: Number(exec) };
    });
  }
  const machine = await bootUml({ stateDir: join(work, "floor-kernel"), name: "floor", memMb: 1024 });
  try {
    const results: Floor[] = [];
    for (const n of sizes) results.push(await floorOn(machine.shell, n));
    return results;
  } finally {
    await machine.stop();
  }
}

export interface LabUp {
  readonly upMs: number;
  /** Median of `true` through the harness's SSH to a node, in milliseconds. */
  readonly execMs: number;
  readonly downMs?: number;
  readonly error?: string;
}

/** `provider.up` of a synthetic lab, then 30 commands on its first node, then `down`. */
export async function labUp(providerName: string, lab: Lab): Promise<LabUp> {
  const provider = providerNamed(providerName);
  const started = performance.now();
  let measured: LabUp = { upMs: Number.NaN, execMs: Number.NaN };
  try {
    const up = await provider.up(lab);
    measured = { upMs: performance.now() - started, execMs: Number.NaN };
    try {
      const node = up.nodes[0];
      const times: number[] = [];
      for (let i = 0; node && i < 30; i++) {
        const t = performance.now();
        await node.shell.exec("true", { reject: true });
        times.push(performance.now() - t);
      }
      measured = { ...measured, execMs: median(times) };
      const down = performance.now();
      await up.down();
      measured = { ...measured, downMs: performance.now() - down };
    } finally {
      await up.down().catch(() => {});
    }
  } catch (error) {
    measured = { ...measured, error: (error as Error).message.split("\n")[0] };
  }
  // Whatever the lab left (a failed up or down): the provider's own teardown from the state dir.
  await provider.down(lab.name).catch(() => {});
  process.stderr.write(
    `${providerName} ${lab.name}: up ${measured.upMs.toFixed(0)} ms, command ${measured.execMs.toFixed(1)} ms${measured.error ? `, ${measured.error}` : ""}\n`,
  );
  return measured;
}
