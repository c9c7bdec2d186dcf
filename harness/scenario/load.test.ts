import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { InputError } from "../model/errors.ts";
import { loadLab } from "../model/load-lab.ts";
import { loadScenario } from "./load.ts";

const LAB = `name: pair
segments:
  lan: { kind: switch }
nodes:
  a:
    nics:
      - { name: enp0s3, segment: lan, promiscuous: true }
  b:
    nics:
      - { name: enp0s3, segment: lan }
`;

const SCENARIO = `id: demo
title: demo
technology: macvlan
source: [{ seed: "001", section: "§1" }]
lab: pair
goal: a reaches b
setup:
  - node: a
    run: ip link set dev enp0s3 up
checks:
  - id: reach
    title: a reaches b
    hint: check the addresses
    ping: { from: a, to: 172.16.5.3, ttl: 64 }
negative_controls:
  - id: down
    title: link down
    break:
      - node: b
        run: ip link set dev enp0s3 down
    flips: [reach]
`;

describe("lab and scenario files", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "macvlab-model-"));
    mkdirSync(join(dir, "labs"));
    mkdirSync(join(dir, "scenarios"));
    writeFileSync(join(dir, "labs", "pair.yaml"), LAB);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const scenario = (text: string) => {
    const file = join(dir, "scenarios", "demo.yaml");
    writeFileSync(file, text);
    return file;
  };
  const refusal = (fn: () => unknown): InputError => {
    try {
      fn();
    } catch (error) {
      expect(error).to.be.instanceOf(InputError);
      return error as InputError;
    }
    throw new Error("expected an InputError");
  };

  it("loads a valid scenario with its lab and applies defaults", () => {
    const { scenario: s, lab } = loadScenario(scenario(SCENARIO));
    expect(lab.nodes.a!.nics[0]!.promiscuous).to.equal(true);
    expect(lab.nodes.b!.nics[0]!.promiscuous).to.equal(false);
    expect(s.checks[0]!.points).to.equal(1);
    expect(s.checks[0]!.ping!.expect).to.equal("reachable");
  });

  it("refuses shell in a name that reaches a command, at its line and column", () => {
    const error = refusal(() =>
      loadScenario(
        scenario(
          SCENARIO.replace("ping: { from: a, to: 172.16.5.3", 'link: { node: a, dev: "x; rm -rf /"').replace(
            ", ttl: 64 }",
            " }",
          ),
        ),
      ),
    );
    expect(error.issues, error.message).to.have.length(1);
    expect(error.issues[0]).to.match(/scenarios\/demo\.yaml:14:\d+: checks\.0\.link\.dev: an interface name/);
  });

  it("refuses an address that is not IPv4", () => {
    const error = refusal(() => loadScenario(scenario(SCENARIO.replace("172.16.5.3", "172.16.5.3;reboot"))));
    expect(error.issues[0]).to.match(/demo\.yaml:14:\d+: checks\.0\.ping\.to: an IPv4 address/);
  });

  it("names an unknown key with the line of the key itself", () => {
    const error = refusal(() =>
      loadScenario(
        scenario(SCENARIO.replace("    hint: check the addresses", "    hint: check the addresses\n    pionts: 3")),
      ),
    );
    expect(error.issues).to.deep.equal([
      `${join(dir, "scenarios", "demo.yaml")}:14:5: checks.0.pionts: unknown key "pionts"`.replace(
        `${process.cwd()}/`,
        "",
      ),
    ]);
  });

  it("reports YAML syntax errors with file:line:col", () => {
    const error = refusal(() => loadScenario(scenario(SCENARIO.replace("title: demo", "title: [demo"))));
    expect(error.message).to.match(/is not valid YAML/);
    expect(error.issues[0]).to.match(/demo\.yaml:\d+:\d+: /);
  });

  it("refuses duplicate keys", () => {
    const error = refusal(() => loadScenario(scenario(SCENARIO.replace("title: demo", "title: demo\ntitle: again"))));
    expect(error.issues[0]).to.match(/demo\.yaml:3:1: .*unique/i);
  });

  it("refuses references to nodes the lab does not have", () => {
    const error = refusal(() => loadScenario(scenario(SCENARIO.replace("  - node: a\n", "  - node: c\n"))));
    expect(error.issues[0]).to.match(/demo\.yaml:8:\d+: setup\.0\.node: no node "c" in lab pair/);
  });

  it("refuses a negative control that flips an unknown check, and a scenario without any control", () => {
    expect(
      refusal(() => loadScenario(scenario(SCENARIO.replace("flips: [reach]", "flips: [nope]")))).issues[0],
    ).to.match(/negative_controls\.0\.flips\.0: no check with id "nope"/);
    expect(
      refusal(() => loadScenario(scenario(SCENARIO.replace(/negative_controls:[\s\S]*$/, "negative_controls: []\n"))))
        .issues[0],
    ).to.match(/every scenario needs a negative control/);
  });

  it("refuses stages that name unknown checks, place a check twice or not at all, or let a check need a later stage", () => {
    const second = `  - id: back
    title: b reaches a
    hint: check the addresses
    needs: [reach]
    ping: { from: b, to: 172.16.5.2, ttl: 64 }
negative_controls:`;
    const two = SCENARIO.replace("negative_controls:", second);
    const staged = (stages: string, text = two) =>
      loadScenario(scenario(text.replace("negative_controls:", `stages:\n${stages}\nnegative_controls:`)));
    const issues = (stages: string, text = two) => refusal(() => staged(stages, text)).issues.join("\n");
    expect(
      staged("  - { title: one, checks: [reach] }\n  - { title: two, checks: [back] }").scenario.stages,
    ).to.have.length(2);
    expect(issues("  - { title: one, checks: [reach, nope, back] }")).to.match(
      /stages\.0\.checks\.1: no check "nope" in this scenario/,
    );
    expect(issues("  - { title: one, checks: [reach] }\n  - { title: two, checks: [reach, back] }")).to.match(
      /stages\.1\.checks\.0: check "reach" is already in stage 1/,
    );
    expect(issues("  - { title: one, checks: [reach] }")).to.match(
      /stages: with stages, every check belongs to one: back belong to none/,
    );
    expect(issues("  - { title: one, checks: [back] }\n  - { title: two, checks: [reach] }")).to.match(
      /checks\.1\.needs\.0: "reach" is graded in stage 2, after this check's stage 1/,
    );
    const stepStage = (n: number) =>
      two.replace("    run: ip link set dev enp0s3 up", `    stage: ${n}\n    run: ip link set dev enp0s3 up`);
    expect(issues("  - { title: one, checks: [reach, back] }", stepStage(2))).to.match(
      /setup\.0\.stage: stage 2: the scenario has 1 stages/,
    );
    expect(refusal(() => loadScenario(scenario(stepStage(1)))).issues.join("\n")).to.match(
      /setup\.0\.stage: a stage needs the scenario's `stages:`/,
    );
    const inBreak = two.replace("      - node: b\n        run:", "      - node: b\n        stage: 1\n        run:");
    expect(issues("  - { title: one, checks: [reach, back] }", inBreak)).to.match(
      /negative_controls\.0\.break\.0\.stage: only setup steps build a stage/,
    );
  });

  it("requires exactly one kind per check", () => {
    const error = refusal(() =>
      loadScenario(
        scenario(
          SCENARIO.replace("    ping:", '    sysctl: { node: a, key: net.ipv4.ip_forward, value: "1" }\n    ping:'),
        ),
      ),
    );
    expect(error.issues[0]).to.match(/checks\.0: a check needs exactly one of .* \(found ping, sysctl\)/);
  });

  it("refuses a lab NIC on a segment that does not exist, at the NIC", () => {
    writeFileSync(
      join(dir, "labs", "pair.yaml"),
      LAB.replace("{ name: enp0s3, segment: lan }", "{ name: enp0s3, segment: wan }"),
    );
    const error = refusal(() => loadLab(join(dir, "labs", "pair.yaml")));
    expect(error.issues[0]).to.match(/pair\.yaml:10:\d+: nodes\.b\.nics\.0\.segment: no segment "wan"/);
  });

  it("refuses a lab whose name is not its file name, at the name", () => {
    writeFileSync(join(dir, "labs", "pair.yaml"), LAB.replace("name: pair", "name: other"));
    const error = refusal(() => loadLab(join(dir, "labs", "pair.yaml")));
    expect(error.issues).to.have.length(1);
    expect(error.issues[0]).to.match(/pair\.yaml:1:7: name: the name must match the file name \(pair\.yaml\)/);
  });

  it("refuses a node reference that is only an Object.prototype property", () => {
    const error = refusal(() => loadScenario(scenario(SCENARIO.replace("  - node: a\n", "  - node: constructor\n"))));
    expect(error.issues[0]).to.match(/setup\.0\.node: no node "constructor" in lab pair/);
  });

  it("refuses a file over 1 MiB and one that is not a regular file, before parsing", () => {
    const big = scenario(`${SCENARIO}# ${"x".repeat(1024 * 1024)}\n`);
    expect(refusal(() => loadScenario(big)).message).to.match(/demo\.yaml: \d+ bytes, more than the 1 MiB/);
    execFileSync("mkfifo", [join(dir, "scenarios", "fifo.yaml")]);
    expect(refusal(() => loadScenario(join(dir, "scenarios", "fifo.yaml"))).message).to.match(
      /fifo\.yaml: not a regular file/,
    );
  });

  describe("switch port steps", () => {
    const SETUP_END = "    run: ip link set dev enp0s3 up\n";
    const withStep = (step: string, requires?: string) => {
      const text = SCENARIO.replace(SETUP_END, `${SETUP_END}  - switch_port: ${step}\n`);
      return requires ? text.replace("goal: a reaches b\n", `goal: a reaches b\nrequires: [${requires}]\n`) : text;
    };

    it("refuses a switch_port step that sets neither hairpin nor link, at the step", () => {
      const error = refusal(() => loadScenario(scenario(withStep("{ node: a, nic: enp0s3 }"))));
      expect(error.issues).to.have.length(1);
      expect(error.issues[0]).to.match(
        /demo\.yaml:10:18: setup\.1\.switch_port: a switch_port step sets hairpin, link, or both$/,
      );
    });

    it("refuses a link change without `requires: [switch-link]`, at the setting", () => {
      const error = refusal(() => loadScenario(scenario(withStep("{ node: a, nic: enp0s3, link: down }"))));
      expect(error.issues).to.have.length(1);
      expect(error.issues[0]).to.match(
        /demo\.yaml:10:48: setup\.1\.switch_port\.link: a switch port's link needs `requires: \[switch-link\]`/,
      );
      // The other switch capability is not enough.
      expect(
        refusal(() => loadScenario(scenario(withStep("{ node: a, nic: enp0s3, link: down }", "switch-hairpin"))))
          .issues[0],
      ).to.match(/setup\.1\.switch_port\.link: a switch port's link needs `requires: \[switch-link\]`/);
    });

    it("asks for each capability a step uses, and loads once the scenario requires them", () => {
      const both = "{ node: a, nic: enp0s3, hairpin: true, link: up }";
      const error = refusal(() => loadScenario(scenario(withStep(both, "switch-link"))));
      expect(error.issues).to.have.length(1);
      expect(error.issues[0]).to.match(/setup\.1\.switch_port\.hairpin: .*`requires: \[switch-hairpin\]`/);
      const { scenario: s } = loadScenario(scenario(withStep(both, "switch-hairpin, switch-link")));
      expect(s.setup[1]).to.deep.equal({ switch_port: { node: "a", nic: "enp0s3", hairpin: true, link: "up" } });
    });

    it("checks a check's `while` steps like any other: capabilities, nodes and NICs", () => {
      const changing = (undo: string, requires = "") =>
        SCENARIO.replace(
          "    ping:",
          `    while:\n      title: cable pulled\n      do: [{ switch_port: { node: a, nic: enp0s3, link: down } }]\n      undo: [${undo}]\n    ping:`,
        ).replace("goal: a reaches b\n", `goal: a reaches b\n${requires}`);
      const plug = "{ switch_port: { node: a, nic: enp0s3, link: up } }";
      const unrequired = refusal(() => loadScenario(scenario(changing(plug))));
      expect(unrequired.issues).to.have.length(2);
      expect(unrequired.issues[0]).to.match(/demo\.yaml:16:\d+: checks\.0\.while\.do\.0\.switch_port\.link: /);
      expect(unrequired.issues[1]).to.match(/demo\.yaml:17:\d+: checks\.0\.while\.undo\.0\.switch_port\.link: /);
      const REQUIRES = "requires: [switch-link]\n";
      expect(loadScenario(scenario(changing(plug, REQUIRES))).scenario.checks[0]!.while?.title).to.equal(
        "cable pulled",
      );
      const elsewhere = refusal(() =>
        loadScenario(scenario(changing("{ switch_port: { node: c, nic: enp0s3, link: up } }", REQUIRES))),
      );
      expect(elsewhere.issues[0]).to.match(
        /demo\.yaml:18:\d+: checks\.0\.while\.undo\.0\.switch_port\.node: no node "c" in lab pair/,
      );
      const noNic = refusal(() =>
        loadScenario(scenario(changing("{ switch_port: { node: b, nic: enp0s8, link: up } }", REQUIRES))),
      );
      expect(noNic.issues[0]).to.match(/checks\.0\.while\.undo\.0\.switch_port\.nic: node b has no NIC "enp0s8"/);
    });
  });

  it("touches nothing while refusing", () => {
    refusal(() => loadScenario(scenario('id: demo\nname: "x; rm -rf /"\n')));
    expect(readdirSync(dir).sort()).to.deep.equal(["labs", "scenarios"]);
  });
});
