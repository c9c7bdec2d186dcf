import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { PROJECT_ROOT } from "../harness/model/paths.ts";
import { hostSnapshot } from "../harness/testing/host-snapshot.ts";
import { engineLeftovers, leftovers, processesNaming, settle } from "./leftovers.ts";
import { type Exit, MacvlabProcess, macvlabSync } from "./macvlab-process.ts";

/**
 * The fault-injection suite: each fault at each phase of a run, on every provider this machine has.
 * A row passes when the harness exits with the code and message it promises, the host's root
 * namespace is byte-identical, nothing of the lab is left (processes, mounts, state), and a run
 * beside it is unharmed. It prints the table and the figure the README quotes.
 */
const FIXTURES = join(PROJECT_ROOT, "faults", "fixtures", "scenarios");
const BASIC = join(FIXTURES, "fault-basic.yaml");
const ESCAPE = join(FIXTURES, "fault-escape.yaml");
const FLOOD = join(FIXTURES, "fault-flood.yaml");
const DOCKER = join(FIXTURES, "fault-docker.yaml");
const PHASES = ["build", "setup", "checks", "teardown"] as const;
type Phase = (typeof PHASES)[number];
const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
/** A uml lab takes seconds to boot and to stop; a netns lab well under one. */
const PHASE_WAIT_MS = 120_000;
const ESCAPE_MARKER = "86399.";

interface Row {
  readonly provider: string;
  readonly fault: string;
  readonly phase: string;
  verdict?: "survived" | "FAILED";
}
const table: Row[] = [];

function umlAvailable(): boolean {
  return existsSync("/usr/bin/linux") || existsSync("/usr/bin/linux.uml");
}

/** A row's own directories: state root and results, under one temp dir whose path names the row's processes. */
function workspace() {
  const work = mkdtempSync(join(tmpdir(), "macvlab-fault-"));
  const state = join(work, "state");
  return { work, state, results: join(work, "results"), env: { MACVLAB_STATE_DIR: state } };
}

function expectClean(work: string, state: string, before: string, markers: readonly string[] = []) {
  return settle(() => leftovers(work, state, markers), 20_000).then((left) => {
    expect(left, "left behind").to.deep.equal([]);
    expect(hostSnapshot(), "host root namespace changed").to.equal(before);
  });
}

function run(provider: string, scenario: string, ws: ReturnType<typeof workspace>, failpoint?: Phase) {
  return new MacvlabProcess(["run", scenario, "--provider", provider, "--results", ws.results], {
    ...ws.env,
    ...(failpoint ? { MACVLAB_FAILPOINT: failpoint } : {}),
  });
}

function describeExit(exit: Exit): string {
  return `exit ${exit.code ?? exit.signal}; output:\n${exit.output}`;
}

for (const provider of ["netns", "uml"] as const) {
  describe(`faults on ${provider}`, function () {
    this.timeout(300_000);
    let hostBefore: string;
    let ws: ReturnType<typeof workspace>;
    let workspaces: Array<ReturnType<typeof workspace>>;
    let row: Row;
    let rows: Row[];

    before(function () {
      if (provider === "uml" && !umlAvailable()) this.skip();
    });
    beforeEach(() => {
      hostBefore = hostSnapshot();
      ws = workspace();
      workspaces = [ws];
      rows = [];
    });
    afterEach(function () {
      const passed = this.currentTest?.state === "passed";
      for (const r of rows.length > 0 ? rows : [row]) {
        r.verdict ??= passed ? "survived" : "FAILED";
        table.push(r);
      }
      for (const own of workspaces) {
        // A failed row may leave its macvlab paused at a failpoint: stop it and take its lab down, so
        // the next row starts clean.
        const paused = processesNaming(own.work).filter((p) => p.cmdline.includes("macvlab.js"));
        for (const p of paused) process.kill(p.pid, "SIGKILL");
        if (paused.length > 0) macvlabSync(["down"], own.env);
        // Only a row's own temp dir, and only when nothing is mounted below it any more.
        if (!readFileSync("/proc/self/mounts", "utf8").includes(own.work))
          rmSync(own.work, { recursive: true, force: true });
      }
    });

    /** One fault of a phase in a run of its own (own state dir, own lab), judged on its own row. */
    async function judged(fault: string, phase: Phase, body: (own: ReturnType<typeof workspace>) => Promise<void>) {
      const own = workspace();
      workspaces.push(own);
      const r: Row = { provider, fault, phase };
      rows.push(r);
      try {
        await body(own);
        await settle(() => leftovers(own.work, own.state), 20_000).then((left) =>
          expect(left, `${fault} during ${phase}: left behind`).to.deep.equal([]),
        );
        r.verdict = "survived";
      } catch (error) {
        r.verdict = "FAILED";
        throw error;
      }
    }

    // The four faults of a phase run at once, each on a lab of its own: they cannot see each other
    // (the runs share nothing but the host), and one at a time they were most of this suite's time.
    for (const phase of PHASES) {
      it(`SIGINT, SIGTERM, SIGHUP and SIGKILL during ${phase}, four runs at once: each exits with its code and says so; after SIGKILL, \`down\` and a rerun pass; nothing left`, async () => {
        const faults = [
          ...(Object.entries(SIGNALS) as Array<[NodeJS.Signals, number]>).map(([signal, code]) =>
            judged(signal, phase, async (own) => {
              const macvlab = run(provider, BASIC, own, phase);
              await macvlab.waitFor(new RegExp(`failpoint ${phase} reached`), PHASE_WAIT_MS);
              macvlab.signal(signal);
              const exit = await macvlab.exited;
              expect(exit.code, `${signal} during ${phase}: ${describeExit(exit)}`).to.equal(code);
              expect(exit.output, `${signal} during ${phase}`).to.include(`interrupted by ${signal}`);
            }),
          ),
          judged("SIGKILL, rerun", phase, async (own) => {
            const macvlab = run(provider, BASIC, own, phase);
            await macvlab.waitFor(new RegExp(`failpoint ${phase} reached`), PHASE_WAIT_MS);
            macvlab.signal("SIGKILL");
            expect((await macvlab.exited).signal, `SIGKILL during ${phase}`).to.equal("SIGKILL");
            const down = await new MacvlabProcess(["down"], own.env).exited;
            expect(down.code, `down after SIGKILL during ${phase}: ${describeExit(down)}`).to.equal(0);
            const rerun = await run(provider, BASIC, own).exited;
            expect(rerun.code, `rerun after SIGKILL during ${phase}: ${describeExit(rerun)}`).to.equal(0);
            expect(rerun.output).to.match(/5 passed, 0 failed/);
          }),
        ];
        const failed = (await Promise.allSettled(faults)).flatMap((o) => (o.status === "rejected" ? [o.reason] : []));
        if (failed.length > 0)
          throw failed.length === 1 ? failed[0] : new AggregateError(failed, failed.map(String).join("\n"));
        expect(hostSnapshot(), "host root namespace changed").to.equal(hostBefore);
      });
    }

    if (provider === "netns")
      it("a node's sshd killed during the checks: exit 1, the checks say the connection was lost, nothing left", async () => {
        row = { provider, fault: "sshd killed", phase: "checks" };
        const macvlab = run(provider, BASIC, ws, "checks");
        await macvlab.waitFor(/failpoint checks reached/, PHASE_WAIT_MS);
        const sshds = processesNaming(ws.state).filter((p) => p.cmdline.includes("sshd"));
        expect(sshds, "the lab's sshd processes").to.not.be.empty;
        for (const p of sshds) {
          try {
            process.kill(p.pid, "SIGKILL");
          } catch {
            // already gone: a session child ends with the sshd killed before it
          }
        }
        macvlab.resume();
        const exit = await macvlab.exited;
        expect(exit.code, describeExit(exit)).to.equal(1);
        expect(exit.output).to.match(/connection lost/i);
        await expectClean(ws.work, ws.state, hostBefore);
      });

    if (provider === "netns")
      it("SIGKILL during the checks with containers running in a node's Docker engine: `down` removes the engine, its containers, shims and cgroups", async () => {
        row = { provider, fault: "SIGKILL, Docker engine", phase: "checks" };
        const macvlab = run(provider, DOCKER, ws, "checks");
        await macvlab.waitFor(/failpoint checks reached/, PHASE_WAIT_MS);
        expect(engineLeftovers(), "the node's engine, running").to.not.be.empty;
        macvlab.signal("SIGKILL");
        expect((await macvlab.exited).signal).to.equal("SIGKILL");
        const down = macvlabSync(["down"], ws.env);
        expect(down.code, describeExit(down)).to.equal(0);
        await expectClean(ws.work, ws.state, hostBefore, ["sleep 86399"]);
      });

    if (provider === "uml")
      it("the UML kernel killed during the checks: exit 1, the checks say the connection was lost, nothing left", async () => {
        row = { provider, fault: "kernel killed", phase: "checks" };
        const macvlab = run(provider, BASIC, ws, "checks");
        await macvlab.waitFor(/failpoint checks reached/, PHASE_WAIT_MS);
        const kernels = processesNaming(ws.state).filter(
          (p) => p.cmdline.startsWith("linux") || /\blinux\b/.test(p.cmdline),
        );
        expect(kernels, "the lab's kernel processes").to.not.be.empty;
        for (const p of kernels) {
          try {
            process.kill(p.pid, "SIGKILL");
          } catch {
            // already gone with its group
          }
        }
        macvlab.resume();
        const exit = await macvlab.exited;
        expect(exit.code, describeExit(exit)).to.equal(1);
        expect(exit.output).to.match(/connection lost|kernel/i);
        await expectClean(ws.work, ws.state, hostBefore);
      });

    it("a setup step starts processes that leave the node's UTS namespace: `down` still removes them", async () => {
      row = { provider, fault: "escape from UTS ns", phase: "setup" };
      const exit = await run(provider, ESCAPE, ws).exited;
      expect(exit.code, describeExit(exit)).to.equal(0);
      await expectClean(ws.work, ws.state, hostBefore, [ESCAPE_MARKER]);
    });

    it("a setup step prints 1 GiB: the output is cut, the run goes on, nothing left", async () => {
      row = { provider, fault: "1 GiB of output", phase: "setup" };
      const exit = await run(provider, FLOOD, ws).exited;
      expect(exit.code, describeExit(exit)).to.be.oneOf([0, 1]);
      const results = readdirSync(ws.results).map((f) => readFileSync(join(ws.results, f), "utf8"));
      expect(results.join("\n"), "a result saying the output was cut").to.match(/truncated|bytes cut/i);
      await expectClean(ws.work, ws.state, hostBefore);
    });

    it("the state directory is read-only: a clear error naming it, nothing started", async () => {
      row = { provider, fault: "read-only state dir", phase: "build" };
      mkdirSync(ws.state, { recursive: true });
      execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "macvlab-fault-ro", ws.state]);
      try {
        const exit = await run(provider, BASIC, ws).exited;
        expect(exit.code, describeExit(exit)).to.be.oneOf([2, 3]);
        expect(exit.output).to.include(ws.state);
        expect(exit.output).to.match(/read-only/i);
      } finally {
        execFileSync("umount", [ws.state]);
      }
      await expectClean(ws.work, ws.state, hostBefore);
    });

    it("the results filesystem is full: the run says so, the lab is still taken down", async () => {
      row = { provider, fault: "results fs full", phase: "checks" };
      const full = join(ws.work, "full");
      mkdirSync(full);
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "macvlab-fault-full", full]);
      try {
        execFileSync("sh", ["-c", `cat /dev/zero > ${full}/filler 2>/dev/null || true`]);
        const exit = await new MacvlabProcess(
          ["run", BASIC, "--provider", provider, "--results", join(full, "results")],
          ws.env,
        ).exited;
        expect(exit.code, describeExit(exit)).to.be.oneOf([2, 3]);
        expect(exit.output).to.match(/no space|ENOSPC/i);
      } finally {
        execFileSync("umount", [full]);
      }
      await expectClean(ws.work, ws.state, hostBefore);
    });

    it("two runs of one lab: the second is refused naming the first, a third with its own state dir is unharmed", async () => {
      row = { provider, fault: "two runs, one lab", phase: "checks" };
      const first = run(provider, BASIC, ws, "checks");
      await first.waitFor(/failpoint checks reached/, PHASE_WAIT_MS);
      const second = await run(provider, BASIC, { ...ws, results: join(ws.work, "second") }).exited;
      expect(second.code, describeExit(second)).to.equal(2);
      expect(second.output).to.match(new RegExp(`in use by pid ${first.pid}`));
      const other = workspace();
      try {
        const third = await run(provider, BASIC, other).exited;
        expect(third.code, describeExit(third)).to.equal(0);
        // The first run's lab is still up, so only the third's own leftovers can be checked here.
        expect(await settle(() => leftovers(other.work, other.state), 20_000), "the third run left").to.deep.equal([]);
      } finally {
        rmSync(other.work, { recursive: true, force: true });
      }
      first.resume();
      const exit = await first.exited;
      expect(exit.code, describeExit(exit)).to.equal(0);
      expect(exit.output).to.match(/5 passed, 0 failed/);
      await expectClean(ws.work, ws.state, hostBefore);
    });

    it("hostile state: a lab dir that is a symlink, and a pid file naming a process that is not ours", async () => {
      row = { provider, fault: "hostile state files", phase: "teardown" };
      const victim = join(ws.work, "victim");
      mkdirSync(victim);
      writeFileSync(join(victim, "keep"), "not the harness's\n");
      mkdirSync(join(ws.state, provider), { recursive: true });
      symlinkSync(victim, join(ws.state, provider, "linked"));
      // A process named like a UML kernel, recorded with a start time it does not have.
      const decoy = join(ws.work, "linux");
      symlinkSync("/bin/sleep", decoy);
      const sacrificial = spawn(decoy, ["3600"], { stdio: "ignore" });
      const forged = join(ws.state, provider, "forged");
      mkdirSync(forged);
      writeFileSync(
        join(forged, "uml.pid"),
        JSON.stringify({ pid: sacrificial.pid, comm: "linux", marker: "", startTime: 1, cmdline: [decoy, "3600"] }),
      );
      try {
        for (const name of ["linked", "forged"]) {
          const down = macvlabSync(["down", name], ws.env);
          expect(down.code, describeExit(down)).to.equal(2);
          expect(down.output).to.include(name);
        }
        if (provider === "uml") {
          // Past the marker (forged too): the pid file must still match this kernel's start time and command line.
          const marked = join(ws.state, provider, "marked");
          mkdirSync(join(marked, "kernel"), { recursive: true });
          writeFileSync(join(marked, ".macvlab-lab"), "provider=uml\nlab=marked\n");
          writeFileSync(
            join(marked, "kernel", "uml.pid"),
            JSON.stringify({ pid: sacrificial.pid, startTime: 1, cmdline: [decoy, "3600"] }),
          );
          const down = macvlabSync(["down", "marked"], ws.env);
          expect(down.code, describeExit(down)).to.be.oneOf([0, 2]);
        }
        expect(readFileSync(join(victim, "keep"), "utf8")).to.equal("not the harness's\n");
        expect(sacrificial.exitCode, "the decoy process was signalled").to.equal(null);
        expect(sacrificial.signalCode, "the decoy process was signalled").to.equal(null);
      } finally {
        sacrificial.kill("SIGKILL");
        rmSync(join(ws.state, provider), { recursive: true, force: true });
      }
      expect(hostSnapshot(), "host root namespace changed").to.equal(hostBefore);
    });
  });
}

after(() => {
  if (table.length === 0) return;
  const width = (key: keyof Row) => Math.max(key.length, ...table.map((r) => String(r[key]).length));
  const cols = ["provider", "fault", "phase", "verdict"] as const;
  const line = (r: Record<string, string>) => cols.map((c) => String(r[c]).padEnd(width(c))).join("  ");
  const out = [
    "",
    line({ provider: "provider", fault: "fault", phase: "phase", verdict: "verdict" }),
    ...table.map((r) => line({ ...r, verdict: r.verdict ?? "FAILED" })),
    "",
    `faults × phases survived: ${table.filter((r) => r.verdict === "survived").length}/${table.length}`,
    "",
  ];
  process.stdout.write(out.join("\n"));
});
