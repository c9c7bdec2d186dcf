import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { CLI_ENTRY, LABS_DIR } from "../model/paths.ts";
import { scratchWorkPerTest } from "../testing/scratch-work.ts";

/** A scenario on two-hosts that makes macvlan child `mac9` on node2; `cleanup` is its cleanup section. */
const scenario = (id: string, cleanup: string) => `id: ${id}
title: ${id}
technology: macvlan
source: [{ seed: "001", section: "§1" }]
lab: two-hosts
goal: node2 has a macvlan child mac9 of enp0s3 in bridge mode
requires: [macvlan]
setup:
  - node: node2
    run: ip link add link enp0s3 name mac9 type macvlan mode bridge
checks:
  - id: mac9-is-macvlan
    title: mac9 is a macvlan child in bridge mode
    hint: ip link add link enp0s3 name mac9 type macvlan mode bridge
    link: { node: node2, dev: mac9, kind: macvlan, mode: bridge }
negative_controls:
  - id: mac9-gone
    title: mac9 deleted
    break:
      - node: node2
        run: ip link del dev mac9
    flips: [mac9-is-macvlan]
    restore:
      - node: node2
        run: ip link add link enp0s3 name mac9 type macvlan mode bridge
${cleanup}`;

const TIDY = "cleanup:\n  - node: node2\n    run: ip link del dev mac9\n";
/** Forgets mac9: the next scenario's `ip link add … mac9` would fail with "File exists" on this lab. */
const FORGETFUL = "cleanup: []\n";

interface ResultFile {
  testCaseId?: string;
  status: string;
  statusDetails?: { message?: string };
}

function results(dir: string): ResultFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith("-result.json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as ResultFile);
}

describe("labs reused with proof: a scenario's cleanup must leave the lab as it came up (root, netns)", () => {
  const scratch = scratchWorkPerTest("macvlab-reuse-");
  const run = (files: string[], ...flags: string[]) =>
    spawnSync(
      process.execPath,
      [
        CLI_ENTRY,
        "run",
        ...files,
        "--provider",
        "netns",
        "--jobs",
        "1",
        "--results",
        join(scratch.dir, "results"),
        ...flags,
      ],
      {
        encoding: "utf8",
        env: { ...process.env, MACVLAB_STATE_DIR: join(scratch.dir, "state"), MACVLAB_PROGRESS: "1" },
        timeout: 170_000,
      },
    );
  // A scenario finds its lab in ../labs beside its own folder.
  const write = (name: string, text: string) => {
    mkdirSync(join(scratch.dir, "scenarios"), { recursive: true });
    mkdirSync(join(scratch.dir, "labs"), { recursive: true });
    copyFileSync(join(LABS_DIR, "two-hosts.yaml"), join(scratch.dir, "labs", "two-hosts.yaml"));
    const file = join(scratch.dir, "scenarios", `${name}.yaml`);
    writeFileSync(file, text);
    return file;
  };

  it("runs the next scenario on the same lab when the cleanup proved it as it came up", () => {
    const first = write("first", scenario("first", TIDY));
    const second = write("second", scenario("second", TIDY));
    const result = run([first, second]);
    const output = result.stdout + result.stderr;
    expect(result.status, output).to.equal(0);
    expect(output.match(/lab two-hosts up \(netns\)/g)).to.have.length(1);
    expect(output).to.include("second: lab two-hosts reused: the scenario before left every node as it came up");
    const cleanups = results(join(scratch.dir, "results")).filter((r) => r.testCaseId?.endsWith("/cleanup"));
    expect(cleanups.map((r) => `${r.testCaseId} ${r.status}`).sort()).to.deep.equal([
      "first/cleanup passed",
      "second/cleanup passed",
    ]);
  });

  it("fails a cleanup that forgets something, naming the leftover, and the next scenario still gets a clean lab", () => {
    const first = write("first", scenario("first", FORGETFUL));
    const second = write("second", scenario("second", TIDY));
    const result = run([first, second]);
    const output = result.stdout + result.stderr;
    expect(result.status, output).to.equal(1);
    expect(output).to.match(
      /first: the cleanup left 1 thing\(s\) behind[^\n]*\n\s+node2: link mac9 was added \(macvlan mode bridge/,
    );
    // Rebuilt, not reused: the second scenario's own `ip link add … mac9` worked, and every check of it passed.
    expect(output.match(/lab two-hosts up \(netns\)/g)).to.have.length(2);
    expect(output).not.to.include("reused");
    const verdicts = results(join(scratch.dir, "results")).map((r) => `${r.testCaseId} ${r.status}`);
    expect(verdicts.sort()).to.deep.equal([
      "first/cleanup failed",
      "first/mac9-gone/mac9-is-macvlan passed",
      "first/mac9-gone/mac9-is-macvlan/restored passed",
      "first/mac9-is-macvlan passed",
      "second/cleanup passed",
      "second/mac9-gone/mac9-is-macvlan passed",
      "second/mac9-gone/mac9-is-macvlan/restored passed",
      "second/mac9-is-macvlan passed",
    ]);
    const failed = results(join(scratch.dir, "results")).find((r) => r.testCaseId === "first/cleanup");
    expect(failed?.statusDetails?.message).to.include("node2: link mac9 was added");
  });

  it("--fresh-lab brings a lab up for every scenario and proves nothing (today's behaviour, on request)", () => {
    const first = write("first", scenario("first", FORGETFUL));
    const second = write("second", scenario("second", TIDY));
    const result = run([first, second], "--fresh-lab");
    const output = result.stdout + result.stderr;
    expect(result.status, output).to.equal(0);
    expect(output.match(/lab two-hosts up \(netns\)/g)).to.have.length(2);
    expect(results(join(scratch.dir, "results")).some((r) => r.testCaseId?.endsWith("/cleanup"))).to.equal(false);
  });
});
