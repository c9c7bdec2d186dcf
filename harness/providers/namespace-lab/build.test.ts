import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Lab } from "../../model/lab.ts";
import { nodeFstab, portMapOf } from "./build.ts";
import { NetnsLayout } from "./layout.ts";

const LAB: Lab = {
  name: "two",
  segments: { lan: { kind: "switch" }, "a-segment-named-too-long": { kind: "switch" } },
  nodes: {
    node1: { nics: [{ name: "eth0", segment: "lan", promiscuous: false }], docker: false },
    node2: {
      nics: [
        { name: "eth0", segment: "lan", promiscuous: false },
        { name: "eth1", segment: "a-segment-named-too-long", promiscuous: true },
      ],
      docker: false,
    },
  },
  file: "(test)",
};

describe("namespace lab build plan", () => {
  it("names bridges and switch ports from the lab alone, within ip link's 15 characters", () => {
    expect(portMapOf(LAB)).to.deep.equal({
      bridges: { lan: "lan", "a-segment-named-too-long": "seg1" },
      ports: { "node1/eth0": "n0p0", "node2/eth0": "n1p0", "node2/eth1": "n1p1" },
    });
  });

  it("gives the nodes an fstab that mount reads back as written, spaces in the state dir included", () => {
    const dir = mkdtempSync(join(tmpdir(), "macvlab fstab "));
    try {
      const layout = new NetnsLayout(join(dir, "lab dir"));
      const file = join(dir, "fstab");
      writeFileSync(file, nodeFstab(layout));
      // findmnt parses an fstab file the way `mount -a -T` does.
      const parsed = JSON.parse(
        execFileSync("findmnt", ["-J", "-F", file, "-o", "SOURCE,TARGET,FSTYPE"], { encoding: "utf8" }),
      );
      expect(parsed.filesystems).to.deep.equal([
        { source: "macvlab-run", target: "/run", fstype: "tmpfs" },
        { source: layout.passwd, target: "/etc/passwd", fstype: "none" },
        { source: "macvlab-sys", target: "/sys", fstype: "sysfs" },
        { source: "macvlab-proc", target: "/proc", fstype: "proc" },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
