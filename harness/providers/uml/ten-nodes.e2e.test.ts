import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Lab } from "../../model/lab.ts";
import { UML_KERNEL } from "./boot.ts";
import { UmlProvider, umlSettingsFromEnv } from "./uml-provider.ts";

const skipReason = existsSync(UML_KERNEL)
  ? undefined
  : `${UML_KERNEL} is absent (apt-get install user-mode-linux kmod)`;
if (skipReason && process.env.MACVLAB_FORBID_SKIPS === "1") throw new Error(`UML tests cannot run: ${skipReason}`);

const NODES = 10;
/** Ten nodes on one switch: more than the 8 channels a console session had, each node holding one. */
const LAB: Lab = {
  name: "ten-nodes",
  segments: { lan: { kind: "switch" } },
  nodes: Object.fromEntries(
    Array.from({ length: NODES }, (_, i) => [
      `node${i + 1}`,
      { nics: [{ name: "eth1", segment: "lan", promiscuous: false }] },
    ]),
  ),
  file: "(built by ten-nodes.e2e.test.ts)",
};

(skipReason ? describe.skip : describe)(
  `a uml lab of ${NODES} nodes${skipReason ? ` — skipped: ${skipReason}` : ""}`,
  function () {
    this.timeout(240_000);
    let work: string;
    let savedStateDir: string | undefined;

    before(() => {
      work = mkdtempSync(join(tmpdir(), "macvlab-ten-nodes-"));
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
        const names = await Promise.all(
          lab.nodes.map(async (node) => (await node.shell.exec("hostname")).stdout.trim()),
        );
        expect(names).to.deep.equal(Object.keys(LAB.nodes));
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
