import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { strictModesHold, strictModesOverride } from "./strict-modes.ts";

describe("strictModesHold (sshd's StrictModes on root's authorized_keys)", () => {
  const isRoot = process.getuid?.() === 0;
  let dir: string;
  beforeEach(async () => {
    // Below /run (root's, 0755, as is /), not /tmp nor the checkout: /tmp is world-writable (sticky
    // or not, sshd refuses it), and a checkout may well live below /tmp (CI's clean clone does).
    dir = await mkdtemp(join("/run", "macvlab-strict-"));
    await mkdir(join(dir, "ssh"), { mode: 0o700 });
    await writeFile(join(dir, "ssh", "authorized_keys"), "", { mode: 0o600 });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("holds for root's 0700 dirs below root-owned, non-writable parents (as root)", async function () {
    if (!isRoot) this.skip();
    expect(await strictModesHold(join(dir, "ssh", "authorized_keys"))).to.equal(true);
    expect(await strictModesOverride(join(dir, "ssh", "authorized_keys"))).to.deep.equal([]);
  });

  it("fails for a group-writable directory on the way, a world-writable file, /tmp, or a missing file", async () => {
    const keys = join(dir, "ssh", "authorized_keys");
    await chmod(join(dir, "ssh"), 0o770);
    expect(await strictModesHold(keys)).to.equal(false);
    await chmod(join(dir, "ssh"), 0o700);
    await chmod(keys, 0o666);
    expect(await strictModesHold(keys)).to.equal(false);
    expect(await strictModesOverride(keys)).to.deep.equal(["StrictModes no"]);
    const inTmp = await mkdtemp(join(tmpdir(), "macvlab-strict-"));
    try {
      await writeFile(join(inTmp, "authorized_keys"), "", { mode: 0o600 });
      expect(await strictModesHold(join(inTmp, "authorized_keys"))).to.equal(false);
    } finally {
      await rm(inTmp, { recursive: true, force: true });
    }
    expect(await strictModesHold(join(dir, "absent"))).to.equal(false);
  });
});
