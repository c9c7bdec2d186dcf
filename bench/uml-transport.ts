/**
 * Timing of the UML transport on this machine: `npx tsx bench/uml-transport.ts [runs] [parallel]`.
 * Boot (bootUml call to first successful exec), exec latency of `true`, stop; then `parallel`
 * kernels booted at once. Not a test: numbers depend on the host.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { bootUml } from "../harness/providers/uml/boot.ts";

const runs = Number(process.argv[2] ?? 3);
const parallel = Number(process.argv[3] ?? 3);
const root = mkdtempSync(join(tmpdir(), "macvlab-uml-measure-"));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(0);

try {
  for (let run = 0; run < runs; run++) {
    const machine = await bootUml({ stateDir: join(root, `m${run}`), name: `m${run}` });
    const latencies: number[] = [];
    for (let i = 0; i < 40; i++) {
      const started = performance.now();
      await machine.shell.exec("true", { reject: true });
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    const stopStarted = performance.now();
    await machine.stop();
    const stopMs = (performance.now() - stopStarted).toFixed(0);
    console.log(
      `boot ${machine.bootMs} ms | exec true p50 ${pct(latencies, 0.5)} p90 ${pct(latencies, 0.9)} min ${pct(latencies, 0)} ms | stop ${stopMs} ms`,
    );
  }
  const started = performance.now();
  const machines = await Promise.all(
    Array.from({ length: parallel }, (_, i) => bootUml({ stateDir: join(root, `p${i}`), name: `p${i}` })),
  );
  console.log(
    `${parallel} at once: all ready after ${(performance.now() - started).toFixed(0)} ms (${machines.map((m) => m.bootMs).join(", ")})`,
  );
  await Promise.all(machines.map((m) => m.stop()));
} finally {
  rmSync(root, { recursive: true, force: true });
}
