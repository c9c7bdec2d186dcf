import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { CLI_ENTRY, LABS_DIR, PROJECT_ROOT } from "../model/paths.ts";
import { readAttempts } from "../report/results-read.ts";
import { scratchWorkPerTest } from "../testing/scratch-work.ts";

/**
 * The nightly way of running: checks judged again (`--retries`) and told apart as flaky, known issues
 * that neither fail the run nor the gate, the report's history across two nights, `flakes`, and the
 * suite split into shards that run in parallel and merge into the same set of results as one run.
 */

const FIXTURE = join(PROJECT_ROOT, "harness", "testing", "fixtures", "flaky-fixture.yaml");
const SHARDED = ["macvlan-same-network", "host-macvlan-limitation", "linux-bridge", "l3-routed"].map((id) =>
  join(PROJECT_ROOT, "scenarios", `${id}.yaml`),
);

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
}

function cliAsync(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

/** What a results directory says was judged: every check (by history id) with its verdict. */
const judged = (...dirs: string[]) =>
  readAttempts(dirs)
    .map((c) => `${c.testCaseId} ${c.attempts.at(-1)?.result.status}`)
    .sort();

describe("nightly runs (root, netns provider)", function () {
  this.timeout(600_000);
  const work = scratchWorkPerTest("macvlab-nightly-");

  it("tells a flaky check and a known issue apart from a failure: terminal, results, JUnit, gate, history, flakes", () => {
    // The fixture needs its lab beside it, as every scenario does.
    mkdirSync(join(work.dir, "scenarios"));
    mkdirSync(join(work.dir, "labs"));
    copyFileSync(join(LABS_DIR, "two-hosts.yaml"), join(work.dir, "labs", "two-hosts.yaml"));
    const scenario = join(work.dir, "scenarios", "flaky-fixture.yaml");
    copyFileSync(FIXTURE, scenario);
    const known = join(work.dir, "known-issues.yaml");
    writeFileSync(
      known,
      [
        "- check: flaky-fixture/never-there",
        "  reason: nothing in the lab makes nosuch0, on purpose",
        "  link: https://example.org/issues/1",
        "- check: flaky-fixture/always-there",
        "  reason: listed to prove a known issue that passes is named",
        "  link: https://example.org/issues/2",
        "",
      ].join("\n"),
    );
    const env = { MACVLAB_STATE_DIR: join(work.dir, "state") };
    const results = join(work.dir, "results");
    const base = ["run", scenario, "--provider", "netns", "--results", results];

    // Without retries and known issues, both are plain failures.
    const plain = cli([...base, "--known-issues", join(work.dir, "none.yaml")], env);
    expect(plain.status, `${plain.stdout}${plain.stderr}`).to.equal(2);
    expect(plain.stderr).to.include("none.yaml");
    const strict = cli(base.concat("--known-issues", writeEmpty(join(work.dir, "empty.yaml"))), env);
    expect(strict.status, strict.stdout).to.equal(1);
    expect(strict.stdout).to.include("macvlab: 5 passed, 2 failed, 0 skipped");

    const run = cli([...base, "--retries", "3", "--known-issues", known], env);
    expect(run.status, `${run.stdout}${run.stderr}`).to.equal(0);
    expect(run.stdout)
      .to.include("flaky: flaky-fixture/flap-up failed, then passed when judged again")
      .and.include("known issue: flaky-fixture/never-there failed as known-issues lists it")
      .and.include("known issue now passes: flaky-fixture/always-there")
      .and.include("macvlab: 6 passed (1 flaky), 1 failed (1 known), 0 skipped");
    // slow-up waited for its link within its own deadline: converging is not flaky.
    expect(run.stdout.match(/^flaky: .*$/gm)).to.deep.equal([
      "flaky: flaky-fixture/flap-up failed, then passed when judged again",
    ]);
    const flap = readAttempts([results]).find((c) => c.testCaseId === "flaky-fixture/flap-up");
    expect(flap?.attempts.map((a) => a.result.status).at(0)).to.equal("failed");
    expect(flap?.attempts.at(-1)?.result.statusDetails?.flaky).to.equal(true);

    const history = join(work.dir, "history", "history.jsonl");
    const junit = join(work.dir, "junit.xml");
    const summary = join(work.dir, "summary.md");
    for (const night of [1, 2]) {
      const report = cli([
        "report",
        "--results",
        results,
        "-o",
        join(work.dir, "report"),
        "--history",
        history,
        "--junit",
        junit,
        "--summary",
        summary,
        "--gate",
      ]);
      expect(report.status, `night ${night}: ${report.stdout}${report.stderr}`).to.equal(0);
      expect(report.stdout).to.include("gate: passed");
    }
    expect(readFileSync(history, "utf8").trim().split("\n")).to.have.length(2);
    expect(existsSync(join(work.dir, "history", "timings.json"))).to.equal(true);
    const xml = readFileSync(junit, "utf8");
    expect(xml).to.match(/<testcase classname="flaky-fixture" name="flap-up"><flakyFailure message="[^"]*no UP/);
    expect(xml).to.match(/name="never-there"><skipped message="known issue \(https:\/\/example.org\/issues\/1\)/);
    expect(readFileSync(summary, "utf8"))
      .to.include("## macvlab: gate passed")
      .and.include("### Flaky")
      .and.include("- `flaky-fixture/always-there` https://example.org/issues/2");

    const flakes = cli(["flakes", "--history", history]);
    expect(flakes.status, flakes.stderr).to.equal(0);
    expect(flakes.stdout)
      .to.include("flaky-fixture: flap-up: flap0 comes up, late: 2 run(s), 0 failed, 2 flaky (100%)")
      .and.include("never-there: nosuch0 exists (it never does): 2 run(s), 0 failed, 0 flaky (0%), 2 known issue");

    // The gate fails on the same results once the issue is no longer known.
    const unknown = cli(["run", scenario, "--provider", "netns", "--results", results, "--retries", "3"], env);
    expect(unknown.status).to.equal(1);
    const gate = cli(["report", "--results", results, "-o", join(work.dir, "report"), "--no-history", "--gate"]);
    expect(gate.status, gate.stdout).to.equal(1);
    expect(gate.stdout).to.include("gate: flaky-fixture/never-there failed").and.include("gate: failed (1 check");
  });

  it("three shards in parallel, each with its own state, judge exactly what one run judges; one report of them all", async () => {
    const full = join(work.dir, "full");
    // The one run and the three shards at once: each has its own state dir, so they share nothing but the host.
    const single = cliAsync(["run", ...SHARDED, "--provider", "netns", "--results", full], {
      MACVLAB_STATE_DIR: join(work.dir, "state-full"),
    });
    const listed = [1, 2, 3].map((i) => cli(["run", ...SHARDED, "--list", "--shard", `${i}/3`]).stdout);
    const ids = listed.flatMap((text) => [...text.matchAll(/^ {2}(\S+)\t/gm)].map((m) => m[1]));
    expect(ids.sort()).to.deep.equal(["host-macvlan-limitation", "l3-routed", "linux-bridge", "macvlan-same-network"]);
    const shards = await Promise.all(
      [1, 2, 3].map((i) =>
        cliAsync(
          [
            "run",
            ...SHARDED,
            "--provider",
            "netns",
            "--shard",
            `${i}/3`,
            "--jobs",
            "1",
            "--results",
            join(work.dir, `s${i}`),
          ],
          { MACVLAB_STATE_DIR: join(work.dir, `state-${i}`) },
        ),
      ),
    );
    const whole = await single;
    expect(whole.code, whole.output).to.equal(0);
    for (const [i, shard] of shards.entries()) expect(shard.code, `shard ${i + 1}: ${shard.output}`).to.equal(0);
    const parts = [1, 2, 3].map((i) => join(work.dir, `s${i}`));
    expect(judged(...parts)).to.deep.equal(judged(full));
    const merged = cli([
      "report",
      ...parts.flatMap((p) => ["--results", p]),
      "-o",
      join(work.dir, "merged"),
      "--no-history",
    ]);
    expect(merged.status, merged.stderr).to.equal(0);
    const shown = JSON.parse(readFileSync(join(work.dir, "merged", "test-results.json"), "utf8")) as {
      byId: Record<string, unknown>;
    };
    expect(Object.keys(shown.byId)).to.have.length(judged(full).length);
  });
});

function writeEmpty(file: string): string {
  writeFileSync(file, "[]\n");
  return file;
}
