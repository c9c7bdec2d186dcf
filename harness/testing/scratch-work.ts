import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { hostSnapshot, strayProcesses } from "./host-snapshot.ts";

/**
 * For end-to-end tests that build labs: a scratch directory per test (`work.dir`), and afterwards the
 * proof that the host's root namespace and its processes are as the test found them.
 */
export function scratchWorkPerTest(prefix: string): { readonly dir: string } {
  const work = { dir: "" };
  let before = "";
  beforeEach(() => {
    work.dir = mkdtempSync(join(tmpdir(), prefix));
    before = hostSnapshot();
  });
  afterEach(() => {
    expect(hostSnapshot(), "host root namespace changed").to.equal(before);
    expect(strayProcesses(), "processes left behind").to.deep.equal([]);
    rmSync(work.dir, { recursive: true, force: true });
  });
  return work;
}
