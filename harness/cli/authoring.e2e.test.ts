import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import { parse } from "yaml";
import { LABS_DIR, PROJECT_ROOT } from "../model/paths.ts";
import { jsonSchemaOf } from "../scenario/json-schemas.ts";
import { scratchWorkPerTest } from "../testing/scratch-work.ts";

const BIN = join(PROJECT_ROOT, "bin", "macvlab.js");

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 170_000,
  });
}

describe("authoring: `new scenario` and `validate` (root, netns provider)", function () {
  this.timeout(180_000);
  const scratch = scratchWorkPerTest("macvlab-authoring-");

  /** A project-like folder: labs/ with the shipped lab files, an empty scenarios/. */
  const project = () => {
    const dir = scratch.dir;
    mkdirSync(join(dir, "labs"));
    mkdirSync(join(dir, "scenarios"));
    for (const f of readdirSync(LABS_DIR)) copyFileSync(join(LABS_DIR, f), join(dir, "labs", f));
    return { labs: join(dir, "labs"), scenarios: join(dir, "scenarios"), state: join(dir, "state") };
  };

  it("`validate` with no files checks every shipped lab, scenario and the known-issues file, and exits 0", () => {
    const out = cli(["validate"]);
    expect(out.status, out.stderr).to.equal(0);
    const shipped = readdirSync(LABS_DIR).length + readdirSync(join(PROJECT_ROOT, "scenarios")).length + 1;
    expect(out.stdout.match(/^ok /gm)?.length).to.equal(shipped);
    expect(out.stdout).to.match(/^ok scenarios\/l3-routed\.yaml: scenario l3-routed on lab routed: \d+ check/m);
    expect(out.stdout).to.match(/^ok known-issues\.yaml: known issues: \d+ check\(s\) known to fail$/m);
  });

  it("a skeleton validates (CLI and JSON Schema), runs green and passes its rubric on its lab; a broken copy does not", () => {
    const p = project();
    const written = cli(["new", "scenario", "my-first", "--lab", "two-hosts", "--dir", p.scenarios]);
    expect(written.status, written.stderr).to.equal(0);
    const file = join(p.scenarios, "my-first.yaml");
    const text = readFileSync(file, "utf8");
    expect(text.split("\n")[0]).to.match(
      /^# yaml-language-server: \$schema=file:\/\/.*\/schemas\/scenario\.schema\.json$/,
    );
    const validate = new Ajv2020({ allErrors: true }).compile(jsonSchemaOf("scenario"));
    expect(validate(parse(text)), JSON.stringify(validate.errors)).to.equal(true);
    const valid = cli(["validate", file]);
    expect(valid.status, valid.stderr).to.equal(0);
    expect(valid.stdout).to.match(
      /ok .*my-first\.yaml: scenario my-first on lab two-hosts: 2 check\(s\), 1 negative control/,
    );

    const env = { MACVLAB_STATE_DIR: p.state };
    const run = cli(["run", file, "--provider", "netns", "--results", join(scratch.dir, "results")], env);
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.match(/macvlab: [1-9]\d* passed, 0 failed, 0 skipped/);
    const rubric = cli(["rubric", file, "--provider", "netns", "--results", join(scratch.dir, "rubric")], env);
    expect(rubric.status, rubric.stdout + rubric.stderr).to.equal(0);

    // The same skeleton with the ping's expectation wrong must fail: the green run above means something.
    writeFileSync(file, text.replace("ttl: 64", "ttl: 63"));
    const wrong = cli(["run", file, "--provider", "netns", "--results", join(scratch.dir, "wrong")], env);
    expect(wrong.status, wrong.stdout + wrong.stderr).to.equal(1);
    expect(wrong.stdout + wrong.stderr).to.match(/63/);
  });

  it("`new scenario` never overwrites, and names the flag for a lab that is not there (exit 2)", () => {
    const p = project();
    expect(cli(["new", "scenario", "twice", "--lab", "one-host", "--dir", p.scenarios]).status).to.equal(0);
    const before = readFileSync(join(p.scenarios, "twice.yaml"), "utf8");
    const again = cli(["new", "scenario", "twice", "--lab", "two-hosts", "--dir", p.scenarios]);
    expect(again.status).to.equal(2);
    expect(again.stderr).to.match(/twice\.yaml exists already/);
    expect(readFileSync(join(p.scenarios, "twice.yaml"), "utf8")).to.equal(before);
    const noLab = cli(["new", "scenario", "other", "--lab", "nowhere", "--dir", p.scenarios]);
    expect(noLab.status).to.equal(2);
    expect(noLab.stderr).to.match(/--lab nowhere: no lab file .*labs\/nowhere\.yaml/);
    const hostile = cli(["new", "scenario", "../../x", "--lab", "one-host", "--dir", p.scenarios]);
    expect(hostile.status).to.equal(2);
    expect(hostile.stderr).to.match(/new scenario: id argument "\.\.\/\.\.\/x"/);
    expect(readdirSync(p.scenarios)).to.deep.equal(["twice.yaml"]);
  });

  it("`validate` checks a folder of mixed files and reports every bad one at file:line:col (exit 2)", () => {
    const p = project();
    cli(["new", "scenario", "good", "--lab", "two-hosts", "--dir", p.scenarios]);
    const good = readFileSync(join(p.scenarios, "good.yaml"), "utf8");
    writeFileSync(
      join(p.scenarios, "bad-node.yaml"),
      good.replace("id: good", "id: bad-node").replace("node: node3\n    run:", "node: node9\n    run:"),
    );
    writeFileSync(
      join(p.scenarios, "bad-key.yaml"),
      good.replace("id: good", "id: bad-key").replace("points: 3", "pionts: 3"),
    );
    const out = cli(["validate", p.scenarios, p.labs]);
    expect(out.status, out.stdout + out.stderr).to.equal(2);
    expect(out.stderr).to.match(/2 of \d+ file\(s\) have errors/);
    expect(out.stderr).to.match(/bad-node\.yaml:\d+:\d+: setup\.1\.node: no node "node9" in lab two-hosts/);
    expect(out.stderr).to.match(/bad-key\.yaml:\d+:\d+: checks\.1\.pionts: unknown key "pionts"/);
    expect(out.stdout).to.match(/^ok .*good\.yaml/m);
  });

  it("`graph` draws a lab, or a scenario's VLANs and pings on its lab, as SVG; refuses a mismatch (exit 2)", () => {
    const file = join(scratch.dir, "two-hosts.svg");
    const lab = cli(["graph", "two-hosts", "-o", file]);
    expect(lab.status, lab.stderr).to.equal(0);
    const svg = readFileSync(file, "utf8").replace(/&#45;/g, "-");
    expect(svg).to.match(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    expect(svg).to.include("node2").and.include("node3").and.include("08:00:27:00:02:03");
    const scenario = cli(["graph", "--scenario", "vlan-isolation", "-o", "-"]);
    expect(scenario.status, scenario.stderr).to.equal(0);
    expect(scenario.stdout.replace(/&#45;/g, "-")).to.include("802.1Q 100, 200").and.include("trunk (802.1Q)");
    const mismatch = cli(["graph", "one-host", "--scenario", "l3-routed", "-o", "-"]);
    expect(mismatch.status).to.equal(2);
    expect(mismatch.stderr).to.match(/--scenario l3-routed runs on lab routed, not one-host/);
    const hostile = cli(["graph", "../../etc/passwd"]);
    expect(hostile.status).to.equal(2);
    expect(hostile.stderr).to.match(/graph: lab argument "\.\.\/\.\.\/etc\/passwd" is not a lab name/);
  });
});
