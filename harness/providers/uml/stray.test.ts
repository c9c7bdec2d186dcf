import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { pidsInGroup } from "./process-group.ts";
import { processIdentity } from "./process-identity.ts";
import { killStrayUml, pidFilePath, umlDirOf, writePidFile } from "./stray.ts";

/**
 * A pid file is whatever is on disk: these are forged or stale ones. None may lead to a signal;
 * process.kill is watched, and the stand-in processes must still be alive afterwards.
 */
describe("killStrayUml with hostile pid files", () => {
  let stateDir: string;
  let marker: string;
  let signals: Array<[number, string | number | undefined]>;
  let warnings: string[];
  const realKill = process.kill;
  const children: ChildProcess[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);

  /** A detached stand-in "UML": its own process group, our marker on its command line. */
  async function standIn(): Promise<number> {
    const child = spawn("sh", ["-c", "sleep 1000", marker], { detached: true, stdio: "ignore" });
    child.unref();
    children.push(child);
    if (child.pid === undefined) throw new Error("spawn failed");
    for (let i = 0; i < 100 && !processIdentity(child.pid)?.cmdline.includes(marker); i++) await sleep(10);
    return child.pid;
  }

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "macvlab-stray-"));
    marker = `uml_dir=${umlDirOf(stateDir)}`;
    signals = [];
    warnings = [];
    process.on("warning", onWarning);
    process.kill = ((pid: number, signal?: string | number) => {
      signals.push([pid, signal]);
      return realKill.call(process, pid, signal);
    }) as typeof process.kill;
  });
  afterEach(async () => {
    process.kill = realKill;
    process.off("warning", onWarning);
    for (const child of children.splice(0)) {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // the positive control already killed it
      }
    }
    await rm(stateDir, { recursive: true, force: true });
  });

  async function expectRefused(record: string, why: RegExp | undefined): Promise<void> {
    await writeFile(pidFilePath(stateDir), record);
    expect(await killStrayUml(stateDir)).to.equal(false);
    expect(signals, "signals sent").to.deep.equal([]);
    expect(existsSync(pidFilePath(stateDir)), "the stale pid file is removed").to.equal(false);
    if (why) expect(warnings.join("\n")).to.match(why);
  }

  it("refuses the issue's reproduction: pid 1, comm systemd, empty marker", async () => {
    await expectRefused('{"pid":1,"comm":"systemd","marker":""}', /refused to signal \(not a pid record\)/);
  });

  it("refuses pid 1, 0 and negative pids even with a command line carrying the marker", async () => {
    const init = processIdentity(1);
    for (const pid of [1, 0, -1, -4242]) {
      const record = { pid, startTime: init?.startTime ?? 1, cmdline: ["/usr/bin/linux", marker] };
      await expectRefused(JSON.stringify(record), new RegExp(`pid ${pid} is not a process group we can own`));
    }
  });

  it("refuses garbage, a torn write and wrong types", async () => {
    for (const text of ["", "{", "null", "[]", '"x"', '{"pid":"1","startTime":1,"cmdline":["a"]}', '{"pid":5}'])
      await expectRefused(text, /not a pid record/);
  });

  it("refuses a live unrelated process: this test's own pid with a forged command line", async () => {
    const self = processIdentity(process.pid);
    if (!self) throw new Error("cannot read own identity");
    const forged = { pid: process.pid, startTime: self.startTime, cmdline: ["/usr/bin/linux", marker] };
    await expectRefused(JSON.stringify(forged), /is now another process/);
  });

  it("refuses a reused pid: the right command line but another start time", async () => {
    const pid = await standIn();
    const real = processIdentity(pid);
    if (!real) throw new Error("stand-in gone");
    await expectRefused(JSON.stringify({ ...real, startTime: real.startTime - 1 }), /is now another process/);
    expect(pidsInGroup(pid)).to.include(pid);
  });

  it("refuses a record of another state dir's kernel (the marker must be this dir's)", async () => {
    const pid = await standIn();
    const real = processIdentity(pid);
    if (!real) throw new Error("stand-in gone");
    const elsewhere = await mkdtemp(join(tmpdir(), "macvlab-stray-other-"));
    try {
      await writePidFile(elsewhere, real);
      expect(await killStrayUml(elsewhere)).to.equal(false);
      expect(signals).to.deep.equal([]);
      expect(warnings.join("\n")).to.match(/lacks uml_dir=/);
      expect(pidsInGroup(pid)).to.include(pid);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it("does kill the process the record really names (so the refusals above are not vacuous)", async () => {
    const pid = await standIn();
    const real = processIdentity(pid);
    if (!real) throw new Error("stand-in gone");
    await writePidFile(stateDir, real);
    expect(await killStrayUml(stateDir)).to.equal(true);
    expect(signals).to.deep.include([-pid, "SIGKILL"]);
    expect(pidsInGroup(pid)).to.deep.equal([]);
    expect(warnings).to.deep.equal([]);
  });
});
