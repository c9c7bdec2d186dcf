import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { CLI_ENTRY, PROJECT_ROOT } from "../model/paths.ts";
import { scratchWorkPerTest } from "../testing/scratch-work.ts";

/** Two scenarios on one lab (two-hosts): in parallel they must run on two instances of it. */
const SAME_LAB = ["macvlan-same-network", "host-macvlan-limitation"].map((id) =>
  join(PROJECT_ROOT, "scenarios", `${id}.yaml`),
);

/** Each job holds one scenario at a time: two pauses are both jobs paused. */
const BOTH_PAUSED =
  /\[job \d\/2\] macvlab: failpoint checks reached\n.*\[job \d\/2\] macvlab: failpoint checks reached\n/s;

function start(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI_ENTRY, ...args], {
    env: { ...process.env, ...env, MACVLAB_PROGRESS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs the CLI to its end; `act` is called once, with the process, when the output first matches `when`. */
function runUntil(
  args: string[],
  env: Record<string, string>,
  when?: RegExp,
  act?: (child: ChildProcess) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve) => {
    const child = start(args, env);
    let output = "";
    let acted = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (when && act && !acted && when.test(output)) {
        acted = true;
        act(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("close", (code, signal) => resolve({ code, signal, output }));
  });
}

/** testCaseId → status of every result in an Allure results directory. */
function verdicts(resultsDir: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const file of readdirSync(resultsDir).filter((f) => f.endsWith("-result.json"))) {
    const result = JSON.parse(readFileSync(join(resultsDir, file), "utf8")) as { testCaseId?: string; status: string };
    if (result.testCaseId) found[result.testCaseId] = result.status;
  }
  return found;
}

/** What the jobs' state roots still hold of labs (each provider's directory, lab names only). */
function jobLabs(state: string): string[] {
  const jobs = join(state, "jobs");
  if (!existsSync(jobs)) return [];
  return readdirSync(jobs).flatMap((job) => {
    const netns = join(jobs, job, "netns");
    return existsSync(netns) ? readdirSync(netns).map((lab) => `job ${job}: ${lab}`) : [];
  });
}

const ourProcesses = (work: string) =>
  spawnSync("pgrep", ["-f", `macvlab|${work}`], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((pid) => pid && Number(pid) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").includes(work);
      } catch {
        return false;
      }
    });

describe("run --jobs: scenarios at once, each on a lab instance of its own (root, netns)", () => {
  const scratch = scratchWorkPerTest("macvlab-jobs-");
  let work: string;
  let env: Record<string, string>;
  beforeEach(() => {
    work = scratch.dir;
    env = { MACVLAB_STATE_DIR: join(work, "state") };
  });

  it("gives every check the verdict and testCaseId a serial run gives, with two scenarios on one lab at once", async () => {
    const serial = await runUntil(
      ["run", ...SAME_LAB, "--provider", "netns", "--jobs", "1", "--results", join(work, "serial")],
      env,
    );
    expect(serial.code, serial.output).to.equal(0);
    const parallel = await runUntil(
      ["run", ...SAME_LAB, "--provider", "netns", "--jobs", "2", "--results", join(work, "parallel")],
      env,
    );
    expect(parallel.code, parallel.output).to.equal(0);
    // Two jobs, each with its own instance of two-hosts.
    expect(parallel.output).to.include("[job 1/2]");
    expect(parallel.output).to.include("[job 2/2]");
    expect(readFileSync(join(work, "parallel", "environment.properties"), "utf8")).to.include("jobs=2");
    const want = verdicts(join(work, "serial"));
    expect(Object.keys(want).length).to.be.greaterThan(40);
    expect(verdicts(join(work, "parallel"))).to.deep.equal(want);
    // A scenario's output is one block: its title, then its own checks, never the other job's.
    // (Up to the run's closing article-vs-measured table, which names each scenario once more.)
    const [checksOutput = "", claimsOutput = ""] = parallel.output.split("Article vs measured");
    const titles = checksOutput.split("\n").filter((l) => /^ {2}\S/.test(l) && !/passing|pending|failing/.test(l));
    expect(titles.map((t) => t.split(":")[0]?.trim()).sort()).to.deep.equal([
      "host-macvlan-limitation",
      "macvlan-same-network",
    ]);
    // The claims of both jobs' scenarios reach the run that prints them.
    expect(claimsOutput).to.match(/^ \(\d+ claims, 2 scenarios\):/);
    expect(claimsOutput).to.include("  host-macvlan-limitation\n").and.include("  macvlan-same-network\n");
    expect(jobLabs(env.MACVLAB_STATE_DIR as string)).to.deep.equal([]);
  });

  it("passes a SIGTERM on to every job: each takes its own lab down, the run exits 143 and says so", async () => {
    const { code, output } = await runUntil(
      ["run", ...SAME_LAB, "--provider", "netns", "--jobs", "2", "--results", join(work, "results")],
      { ...env, MACVLAB_FAILPOINT: "checks" },
      BOTH_PAUSED,
      (child) => child.kill("SIGTERM"),
    );
    expect(code, output).to.equal(143);
    for (const job of ["1/2", "2/2"]) {
      expect(output).to.include(`[job ${job}] macvlab: SIGTERM received`);
      expect(output).to.include(`[job ${job}] macvlab: netns lab two-hosts: taken down`);
      expect(output).to.include(
        `[job ${job}] macvlab: interrupted by SIGTERM; nothing this command started is left; exit 143`,
      );
    }
    expect(output).to.include("macvlab: interrupted by SIGTERM; nothing this command started is left; exit 143");
    expect(jobLabs(env.MACVLAB_STATE_DIR as string)).to.deep.equal([]);
    expect(ourProcesses(work)).to.deep.equal([]);
  });

  it("jobs whose run was killed outright (SIGKILL) notice, take their labs down and end", async () => {
    const { signal, output } = await runUntil(
      ["run", ...SAME_LAB, "--provider", "netns", "--jobs", "2", "--results", join(work, "results")],
      { ...env, MACVLAB_FAILPOINT: "checks" },
      BOTH_PAUSED,
      (child) => child.kill("SIGKILL"),
    );
    expect(signal, output).to.equal("SIGKILL");
    const deadline = Date.now() + 60_000;
    while ((jobLabs(env.MACVLAB_STATE_DIR as string).length || ourProcesses(work).length) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
    expect(jobLabs(env.MACVLAB_STATE_DIR as string)).to.deep.equal([]);
    expect(ourProcesses(work)).to.deep.equal([]);
  });

  it("labs left when the run and its jobs are all killed at once are listed, and `down` takes them down", async () => {
    const { signal } = await runUntil(
      ["run", ...SAME_LAB, "--provider", "netns", "--jobs", "2", "--results", join(work, "results")],
      { ...env, MACVLAB_FAILPOINT: "checks" },
      BOTH_PAUSED,
      (child) => {
        for (const pid of ourProcesses(work)) process.kill(Number(pid), "SIGKILL");
        child.kill("SIGKILL");
      },
    );
    expect(signal).to.equal("SIGKILL");
    expect(jobLabs(env.MACVLAB_STATE_DIR as string)).to.deep.equal(["job 1: two-hosts", "job 2: two-hosts"]);
    const list = await runUntil(["list"], env);
    expect(list.output).to.include("  netns: two-hosts (jobs/1)\n");
    expect(list.output).to.include("  netns: two-hosts (jobs/2)\n");
    const down = await runUntil(["down"], env);
    expect(down.code, down.output).to.equal(0);
    expect(down.output).to.include("jobs/1: netns: lab two-hosts down\n");
    expect(down.output).to.include("jobs/2: netns: lab two-hosts down\n");
    expect(jobLabs(env.MACVLAB_STATE_DIR as string)).to.deep.equal([]);
  });

  it("refuses --jobs 0 as bad input naming the flag, before anything is built", async () => {
    const { code, output } = await runUntil(["run", ...SAME_LAB, "--jobs", "0"], env);
    expect(code).to.equal(2);
    expect(output).to.match(/--jobs "?0"?: give a whole number from 1 to 999, or auto/);
    expect(existsSync(join(work, "state"))).to.equal(false);
  });
});
