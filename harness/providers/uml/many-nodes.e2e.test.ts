import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { atMost, NODES_AT_ONCE } from "../../model/at-most.ts";
import type { Lab } from "../../model/lab.ts";
import { UML_KERNEL } from "./boot.ts";
import { UmlProvider, umlSettingsFromEnv } from "./uml-provider.ts";

const skipReason = existsSync(UML_KERNEL)
  ? undefined
  : `${UML_KERNEL} is absent (apt-get install user-mode-linux kmod)`;
if (skipReason && process.env.MACVLAB_FORBID_SKIPS === "1") throw new Error(`UML tests cannot run: ${skipReason}`);

const NODES = 64;
/**
 * 64 nodes on one switch: far more than the 8 channels a console session had (each node holds one),
 * and far more than the console takes at once if the harness opened or closed them all together.
 */
const LAB: Lab = {
  name: "many-nodes",
  segments: { lan: { kind: "switch" } },
  nodes: Object.fromEntries(
    Array.from({ length: NODES }, (_, i) => [
      `node${i + 1}`,
      { nics: [{ name: "eth1", segment: "lan", promiscuous: false }], docker: false },
    ]),
  ),
  file: "(built by many-nodes.e2e.test.ts)",
};

(skipReason ? describe.skip : describe)(
  `a uml lab of ${NODES} nodes${skipReason ? ` — skipped: ${skipReason}` : ""}`,
  function () {
    this.timeout(300_000);
    let work: string;
    let savedStateDir: string | undefined;

    before(() => {
      work = mkdtempSync(join(tmpdir(), "macvlab-many-nodes-"));
      savedStateDir = process.env.MACVLAB_STATE_DIR;
      process.env.MACVLAB_STATE_DIR = join(work, "state");
    });
    after(() => {
      if (savedStateDir === undefined) delete process.env.MACVLAB_STATE_DIR;
      else process.env.MACVLAB_STATE_DIR = savedStateDir;
      rmSync(work, { recursive: true, force: true });
    });

    it("comes up, every node answers as itself, and goes down leaving nothing", async () => {
      const started = Date.now();
      const lab = await new UmlProvider(umlSettingsFromEnv()).up(LAB);
      const upMs = Date.now() - started;
      try {
        // A few at a time, as the harness itself reads nodes (see NODES_AT_ONCE).
        const names = await atMost(NODES_AT_ONCE, lab.nodes, async (node) =>
          (await node.shell.exec("hostname", { reject: true })).stdout.trim(),
        );
        expect(names).to.deep.equal(Object.keys(LAB.nodes));
        // A command longer than the console carries is refused with the limit named, and the console lives on.
        const long = await lab.nodes[0]?.shell.exec(`echo ${"x".repeat(5000)}`).catch((e: Error) => e.message);
        expect(long).to.match(/a command of 5005 bytes is longer than this connection carries \(3000\)/);
        expect((await lab.nodes[63]?.shell.exec("hostname", { reject: true }))?.stdout.trim()).to.equal("node64");
      } finally {
        await lab.down();
      }
      console.log(
        `      up in ${(upMs / 1000).toFixed(1)} s, down after ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
      );
      expect(readdirSync(join(work, "state", "uml")).filter((n) => n === LAB.name)).to.deep.equal([]);
      const kernels = readdirSync("/proc")
        .filter((pid) => /^\d+$/.test(pid))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(work);
          } catch {
            return false;
          }
        });
      expect(kernels, "UML processes of this lab are left").to.deep.equal([]);
    });
  },
);
