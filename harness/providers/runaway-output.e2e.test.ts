import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Lab } from "../model/lab.ts";
import { DEFAULT_OUTPUT_CAP_BYTES, OUTPUT_CAP_ENV, OUTPUT_KILL_FACTOR } from "../transport/bounded-output.ts";
import type { StartedLab } from "./provider.ts";
import { providerNamed } from "./registry.ts";
import { UML_KERNEL } from "./uml/boot.ts";

const LAB: Lab = {
  name: "runaway-output",
  segments: { lan: { kind: "switch" } },
  nodes: { n1: { nics: [{ name: "eth1", segment: "lan", promiscuous: false }], docker: false } },
  file: "(built by runaway-output.e2e.test.ts)",
};

const umlSkip = existsSync(UML_KERNEL) ? undefined : `${UML_KERNEL} is absent (apt-get install user-mode-linux kmod)`;
if (umlSkip && process.env.MACVLAB_FORBID_SKIPS === "1") throw new Error(`UML tests cannot run: ${umlSkip}`);

/** The host's resident memory, sampled until stopped: its peak is what a runaway stream would blow up. */
function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

for (const provider of ["netns", "uml"] as const) {
  const skip = provider === "uml" ? umlSkip : undefined;
  (skip ? describe.skip : describe)(
    `a node printing 1 GiB (${provider})${skip ? ` — skipped: ${skip}` : ""}`,
    function () {
      this.timeout(180_000);
      let work: string;
      let savedStateDir: string | undefined;
      let lab: StartedLab | undefined;

      before(async () => {
        expect(process.env[OUTPUT_CAP_ENV], "this test measures the default cap").to.equal(undefined);
        work = mkdtempSync(join(tmpdir(), "macvlab-runaway-"));
        savedStateDir = process.env.MACVLAB_STATE_DIR;
        process.env.MACVLAB_STATE_DIR = join(work, "state");
        lab = await providerNamed(provider).up(LAB);
      });

      after(async () => {
        try {
          await lab?.down();
          const left = readdirSync(join(work, "state", provider)).filter((name) => name === LAB.name);
          expect(left, "the lab's state is left behind").to.deep.equal([]);
          const mounts = readFileSync("/proc/self/mounts", "utf8")
            .split("\n")
            .filter((line) => line.includes(work));
          expect(mounts, "mounts under the test's state dir are left").to.deep.equal([]);
        } finally {
          if (savedStateDir === undefined) delete process.env.MACVLAB_STATE_DIR;
          else process.env.MACVLAB_STATE_DIR = savedStateDir;
          rmSync(work, { recursive: true, force: true });
        }
      });

      it("returns head and tail quickly, the command is gone from the node, memory stays bounded, the session carries on", async () => {
        const shell = lab!.node("n1").shell;
        // Unique per run, so the check below cannot see another run's processes; the sleep is what
        // would survive if only the channel were closed (the pipeline dies of SIGPIPE by itself).
        const mark = `31.${process.pid}`;
        const rss = sampleRss();
        const baseline = process.memoryUsage().rss;
        const started = Date.now();
        const result = await shell.exec(`head -c 1073741824 /dev/zero | tr '\\0' x; sleep ${mark}`, {
          timeoutMs: 120_000,
        });
        const tookMs = Date.now() - started;
        const growth = rss.stop() - baseline;
        console.log(
          `      ${provider}: killed after ${tookMs} ms, peak RSS growth ${Math.round(growth / 2 ** 20)} MiB`,
        );
        expect(result).to.deep.include({ truncated: true, killedForOutput: true, failed: true, timedOut: false });
        const half = DEFAULT_OUTPUT_CAP_BYTES / 2;
        expect(result.stdout).to.match(new RegExp(`^x{${half}}\\n… \\d+ bytes cut …\\nx{${half}}$`));
        const cut = Number(/… (\d+) bytes cut …/.exec(result.stdout)?.[1]);
        // What passed through before the kill: past the threshold, nowhere near the whole GiB.
        expect(cut + DEFAULT_OUTPUT_CAP_BYTES).to.be.above(DEFAULT_OUTPUT_CAP_BYTES * OUTPUT_KILL_FACTOR);
        expect(cut).to.be.below(2 ** 30 / 4);
        expect(tookMs, "the kill took too long").to.be.below(60_000);
        expect(growth, "memory grew with the output").to.be.below(256 * 2 ** 20);
        // Only processes of this node's network namespace (other labs may run on this host).
        const left = await shell.exec(
          `pgrep --ns $$ --nslist net -af 'head -c 107374182[4]|sleep 31[.]${process.pid}' || true`,
        );
        expect(left.stdout, "the runaway command survived").to.equal("");
        const next = await shell.exec("echo still here; hostname");
        expect(next.stdout).to.equal("still here\nn1\n");
      });
    },
  );
}
