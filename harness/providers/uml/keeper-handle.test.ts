import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { keeperRecordPath, stopRecordedKeeper } from "./keeper-handle.ts";
import { keeperArgs } from "./keeper-protocol.ts";
import { processIdentity } from "./process-identity.ts";

/** A keeper record is whatever is on disk: only the very process it names, a keeper, is ever signalled. */
describe("stopping a lab's recorded keeper", () => {
  let labDir: string;
  const children: ChildProcess[] = [];

  /** A stand-in process: `sleep` with the given words on its command line. */
  async function standIn(...words: string[]): Promise<number> {
    const child = spawn("sh", ["-c", "sleep 1000", ...words], { detached: true, stdio: "ignore" });
    child.unref();
    children.push(child);
    if (child.pid === undefined) throw new Error("spawn failed");
    for (let i = 0; i < 100 && !processIdentity(child.pid)?.cmdline.includes(words[0] ?? "sh"); i++) await sleep(10);
    return child.pid;
  }
  const alive = (pid: number) => processIdentity(pid) !== undefined;
  const record = (value: unknown) => writeFile(keeperRecordPath(labDir), JSON.stringify(value));

  beforeEach(async () => {
    labDir = await mkdtemp(join(tmpdir(), "macvlab-keeper-record-"));
  });
  afterEach(async () => {
    // Each stand-in leads a group of its own (its sleep included).
    for (const child of children.splice(0))
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    await rm(labDir, { recursive: true, force: true });
  });

  it("stops the keeper the record names, and removes the record", async () => {
    const pid = await standIn(...keeperArgs("two-hosts"));
    await record(processIdentity(pid));
    await stopRecordedKeeper(labDir);
    expect(alive(pid), "the keeper still runs").to.equal(false);
    expect(existsSync(keeperRecordPath(labDir))).to.equal(false);
  });

  it("signals nothing for a process that is no keeper, a reused pid, or a forged record", async () => {
    const stranger = await standIn("not-a-keeper");
    const keeper = await standIn(...keeperArgs("two-hosts"));
    const identity = processIdentity(keeper);
    for (const forged of [
      processIdentity(stranger),
      { ...identity, startTime: (identity?.startTime ?? 0) - 1 },
      { ...identity, cmdline: ["sh"] },
      { pid: 1, startTime: 1, cmdline: ["node", "x", ...keeperArgs("two-hosts")] },
      "not json",
    ]) {
      await writeFile(keeperRecordPath(labDir), typeof forged === "string" ? forged : JSON.stringify(forged));
      await stopRecordedKeeper(labDir);
      expect(existsSync(keeperRecordPath(labDir)), "a stale record is removed").to.equal(false);
    }
    expect(alive(stranger), "a stranger was signalled").to.equal(true);
    expect(alive(keeper), "a keeper named by a forged record was signalled").to.equal(true);
  });
});
