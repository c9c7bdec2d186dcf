import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../model/paths.ts";

/**
 * The bad-input corpus's rows (run by harness/cli/bad-input.e2e.test.ts): each names a hostile input
 * and what the refusal must say — `file:line:col` and the field, or the flag or argument.
 */

export const LAB = `name: pair
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

// Line numbers below refer to this text: the check's ping is on line 14.
export const SCENARIO = `id: demo
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

/** One row's directory: the fixtures, `state/` (never created by a refused command) and the canary. */
export interface Work {
  readonly dir: string;
  readonly state: string;
  readonly scenario: string;
  readonly results: string;
}

export interface Case {
  readonly name: string;
  readonly args: (w: Work) => string[];
  /** Files written over the default fixtures (labs/pair.yaml, scenarios/demo.yaml), relative to the row's dir. */
  readonly files?: Record<string, string>;
  readonly setup?: (w: Work) => void;
  readonly env?: (w: Work) => Record<string, string>;
  readonly cwd?: (w: Work) => string;
  /** The message: where (file:line:col, field) or which flag or argument. */
  readonly says: (w: Work) => RegExp;
  /** For a row about a file that `run` is not given as `w.scenario`: that file (`validate` refuses it alike). */
  readonly badFile?: (w: Work) => string;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const demo = (lineCol: string, field: string, words: string) =>
  new RegExp(`scenarios/demo\\.yaml:${lineCol}: ${esc(field)}: ${words}`);
const pair = (lineCol: string, field: string, words: string) =>
  new RegExp(`labs/pair\\.yaml:${lineCol}: ${esc(field)}: ${words}`);
const withScenario = (text: string) => ({ "scenarios/demo.yaml": text });
const edit = (from: string | RegExp, to: string) => withScenario(SCENARIO.replace(from, to));
const editLab = (from: string | RegExp, to: string) => ({ "labs/pair.yaml": LAB.replace(from, to) });
export const run = (w: Work) => ["run", w.scenario, "--results", w.results];
const ALIAS_BOMB = [
  "a: &a [x, x, x, x, x, x, x, x, x, x]",
  ...["b", "c", "d", "e"].map((k, i) => `${k}: &${k} [${Array(10).fill(`*${"abcd"[i]}`).join(", ")}]`),
].join("\n");
const ONE_MIB_COMMENT = `# ${"x".repeat(1024 * 1024)}\n`;

/** The file a row's refusal is about, when it is about a file (a row `run` is given only its scenario). */
export const badFileOf = (c: Case): ((w: Work) => string) | undefined =>
  c.badFile ?? (c.args === run ? (w) => w.scenario : undefined);

export const CASES: Case[] = [
  // YAML itself
  {
    name: "malformed YAML (an unclosed flow sequence)",
    files: edit("title: demo", "title: [demo"),
    args: run,
    says: () => /demo\.yaml is not valid YAML\n\s+.*demo\.yaml:\d+:\d+: /,
  },
  {
    name: "malformed YAML (a tab for indentation)",
    files: edit("  - id: reach", "\t- id: reach"),
    args: run,
    says: () => /demo\.yaml is not valid YAML\n\s+.*demo\.yaml:11:\d+: /,
  },
  {
    name: "a duplicate key",
    files: edit("title: demo", "title: demo\ntitle: again"),
    args: run,
    says: () => /demo\.yaml:3:1: .*[Uu]nique/,
  },
  {
    name: "two YAML documents in one file",
    files: withScenario(`${SCENARIO}---\nid: other\n`),
    args: run,
    says: () => /demo\.yaml:22:1: Source contains multiple documents/,
  },
  {
    name: "a YAML alias bomb",
    files: withScenario(ALIAS_BOMB),
    args: run,
    says: () => /demo\.yaml:2:\d+: Excessive alias count/,
  },
  {
    name: "an empty file",
    files: withScenario(""),
    args: run,
    says: () => demo("1:1", "(top level)", "Invalid input: expected object"),
  },
  {
    name: "a list where a mapping belongs",
    files: withScenario("- id: demo\n"),
    args: run,
    says: () => demo("1:1", "(top level)", "Invalid input: expected object"),
  },
  // wrong types and unknown keys
  {
    name: "a string where points must be a number",
    files: edit("    hint: check the addresses", '    hint: check the addresses\n    points: "three"'),
    args: run,
    says: () => demo("14:13", "checks.0.points", "Invalid input: expected number"),
  },
  {
    name: "a string where setup must be a list",
    files: edit(/setup:\n.*\n.*\n/, "setup: ip link set dev enp0s3 up\n"),
    args: run,
    says: () => demo("7:8", "setup", "Invalid input: expected array"),
  },
  {
    name: "an unknown key in a check",
    files: edit("    hint: check the addresses", "    hint: check the addresses\n    pionts: 3"),
    args: run,
    says: () => demo("14:5", "checks.0.pionts", 'unknown key "pionts"'),
  },
  {
    name: "an unknown key in a lab",
    files: editLab("  a:\n    nics:", "  a:\n    nicz: []\n    nics:"),
    args: run,
    says: () => pair("6:5", "nodes.a.nicz", 'unknown key "nicz"'),
  },
  {
    name: "an unknown capability",
    files: edit("goal: a reaches b", "goal: a reaches b\nrequires: [warp-drive]"),
    args: run,
    says: () => /demo\.yaml:7:\d+: requires\.0: /,
  },
  {
    name: "a lab with a Docker engine, and a scenario that does not require docker",
    files: editLab("  a:\n    nics:", "  a:\n    docker: true\n    nics:"),
    args: run,
    says: () =>
      /demo\.yaml:\d+:\d+: requires: lab pair runs a Docker engine in a: the scenario needs `requires: \[docker\]`/,
  },
  {
    name: "a lab loading the registry image, and a scenario that does not require docker-registry",
    files: {
      ...editLab("  a:\n    nics:", "  a:\n    docker: { bridge: true, images: [registry] }\n    nics:"),
      ...edit("goal: a reaches b", "goal: a reaches b\nrequires: [docker]"),
    },
    args: run,
    says: () =>
      /demo\.yaml:\d+:\d+: requires: lab pair loads the registry image in a: the scenario needs `requires: \[docker-registry\]`/,
  },
  {
    name: "a lab asking its engine for an image there is no recipe for",
    files: editLab("  a:\n    nics:", "  a:\n    docker: { images: [nginx] }\n    nics:"),
    args: run,
    says: () => pair("6:\\d+", "nodes.a.docker", "true, false or \\{ bridge: true\\|false, images: \\[registry\\] \\}"),
  },
  {
    name: "a container name carrying shell",
    files: edit("ping: { from: a, to:", 'ping: { from: a, container: "c1; reboot", to:'),
    args: run,
    says: () => demo("14:\\d+", "checks.0.ping.container", "a container name"),
  },
  // duplicate ids
  {
    name: "a duplicate check id",
    files: edit(
      /negative_controls:/,
      "  - id: reach\n    title: again\n    hint: h\n    ping: { from: b, to: 172.16.5.2 }\nnegative_controls:",
    ),
    args: run,
    says: () => demo("15:\\d+", "checks.1.id", 'duplicate check id "reach"'),
  },
  {
    name: "a duplicate NIC name on a node",
    files: editLab(
      "      - { name: enp0s3, segment: lan }",
      "      - { name: enp0s3, segment: lan }\n      - { name: enp0s3, segment: lan }",
    ),
    args: run,
    says: () => pair("11:\\d+", "nodes.b.nics.1.name", 'duplicate NIC name "enp0s3"'),
  },
  {
    name: "a duplicate node (the same key twice)",
    files: editLab("  b:\n", "  a:\n"),
    args: run,
    says: () => /pair\.yaml:8:3: .*[Uu]nique/,
  },
  // hostile names inside files
  {
    name: "a lab name that is a path",
    files: editLab("name: pair", 'name: "../x"'),
    args: run,
    says: () => pair("1:7", "name", "a lab name"),
  },
  {
    name: "a lab whose name is not its file name",
    files: editLab("name: pair", "name: other"),
    args: run,
    says: () => pair("1:7", "name", "the name must match the file name \\(pair\\.yaml\\)"),
  },
  {
    name: "a node name carrying shell",
    files: editLab("  b:\n", '  "b;rm -rf /":\n'),
    args: run,
    says: () => pair("8:3", "nodes.b;rm -rf /", 'key "b;rm -rf /": a node name'),
  },
  {
    name: "a scenario's lab given as a path",
    files: edit("lab: pair", "lab: ../labs/pair"),
    args: run,
    says: () => demo("5:6", "lab", "a lab name"),
  },
  {
    name: "a scenario id that is a path",
    files: edit("id: demo", 'id: "../../x"'),
    args: run,
    says: () => demo("1:5", "id", "an id"),
  },
  {
    name: "an empty check id",
    files: edit("  - id: reach", '  - id: ""'),
    args: run,
    says: () => demo("11:9", "checks.0.id", "an id"),
  },
  {
    name: "a unicode check id",
    files: edit("  - id: reach", "  - id: réach"),
    args: run,
    says: () => demo("11:9", "checks.0.id", "an id"),
  },
  {
    name: "a 300-character check id",
    files: edit("  - id: reach", `  - id: ${"r".repeat(300)}`),
    args: run,
    says: () => demo("11:9", "checks.0.id", "an id"),
  },
  {
    name: "a step's node carrying shell",
    files: edit("  - node: a\n", '  - node: "a; reboot"\n'),
    args: run,
    says: () => demo("8:11", "setup.0.node", "a node name"),
  },
  {
    name: "a node that only Object.prototype has",
    files: edit("  - node: a\n", "  - node: constructor\n"),
    args: run,
    says: () => demo("8:11", "setup.0.node", 'no node "constructor" in lab pair'),
  },
  {
    name: "an address carrying shell",
    files: edit("172.16.5.3", '"172.16.5.3;reboot"'),
    args: run,
    says: () => demo("14:\\d+", "checks.0.ping.to", "an IPv4 address"),
  },
  {
    name: "an interface name over 15 characters",
    files: edit("ping: { from: a, to: 172.16.5.3, ttl: 64 }", "link: { node: a, dev: enp0s3-much-too-long }"),
    args: run,
    says: () => demo("14:\\d+", "checks.0.link.dev", "an interface name"),
  },
  // files that are not lab or scenario files
  {
    name: "a scenario file over 1 MiB",
    files: withScenario(SCENARIO + ONE_MIB_COMMENT),
    args: run,
    says: () => /demo\.yaml: \d+ bytes, more than the 1 MiB/,
  },
  {
    name: "a lab file over 1 MiB",
    files: { "labs/pair.yaml": LAB + ONE_MIB_COMMENT },
    args: run,
    says: () => /pair\.yaml: \d+ bytes, more than the 1 MiB/,
  },
  {
    name: "a FIFO named like a scenario",
    setup: (w) => execFileSync("mkfifo", [join(w.dir, "scenarios", "fifo.yaml")]),
    args: (w) => ["run", join(w.dir, "scenarios", "fifo.yaml"), "--results", w.results],
    badFile: (w) => join(w.dir, "scenarios", "fifo.yaml"),
    says: () => /fifo\.yaml: not a regular file/,
  },
  {
    name: "a file that is not YAML",
    files: { "notes.txt": "hello" },
    args: (w) => ["run", join(w.dir, "notes.txt"), "--results", w.results],
    badFile: (w) => join(w.dir, "notes.txt"),
    says: () => /notes\.txt: not a scenario file \(\*\.yaml\)/,
  },
  {
    name: "a scenario file that does not exist",
    args: (w) => ["run", join(w.dir, "nope.yaml"), "--results", w.results],
    badFile: (w) => join(w.dir, "nope.yaml"),
    says: () => /no such scenario file or folder: .*nope\.yaml/,
  },
  // names on the command line and in the environment
  {
    name: "down ../../victim (it used to delete the directory beside the state dir)",
    args: () => ["down", "../../victim"],
    says: () => /down: lab argument "\.\.\/\.\.\/victim" is not a lab name/,
  },
  { name: "down ..", args: () => ["down", ".."], says: () => /down: lab argument "\.\." is not a lab name/ },
  { name: "down with an empty name", args: () => ["down", ""], says: () => /down: lab argument "" is not a lab name/ },
  { name: "down -rf (an unknown option)", args: () => ["down", "-rf"], says: () => /unknown option '-rf'/ },
  {
    name: "down -- -rf (a name like an option)",
    args: () => ["down", "--", "-rf"],
    says: () => /down: lab argument "-rf" is not a lab name/,
  },
  {
    name: "up with shell in the lab name",
    args: () => ["up", "x;rm -rf /"],
    says: () => /up: lab argument "x;rm -rf \/" is not a lab name/,
  },
  {
    name: "up with a 10000-character lab name (cut short in the message)",
    args: () => ["up", "l".repeat(10_000)],
    says: () => /up: lab argument "l{59}…" \(10000 characters\) is not a lab name/,
  },
  {
    name: "up with a unicode lab name",
    args: () => ["up", "lab-ü"],
    says: () => /up: lab argument "lab-ü" is not a lab name/,
  },
  {
    name: "up --solve with a path that is not a file",
    args: () => ["up", "two-hosts", "--solve", "../../etc/passwd"],
    says: () => /--solve "\.\.\/\.\.\/etc\/passwd" is not an id/,
  },
  {
    name: "up --for a scenario of another lab",
    args: () => ["up", "two-hosts", "--for", "vlan-routed"],
    says: () => /scenario vlan-routed runs on lab trunk, not two-hosts/,
  },
  {
    name: "up --for and --solve naming two scenarios",
    args: () => ["up", "two-hosts", "--for", "macvlan-modes", "--solve", "macvlan-same-network"],
    says: () => /--for macvlan-modes and --solve macvlan-same-network: name one scenario/,
  },
  {
    name: "up --mistake carrying shell",
    args: () => ["up", "two-hosts", "--solve", "macvlan-same-network", "--mistake", "x;y"],
    says: () => /--mistake "x;y" is not an id/,
  },
  {
    name: "ssh to a node named like a path",
    args: () => ["ssh", "../node2", "-l", "two-hosts"],
    says: () => /ssh: node argument "\.\.\/node2" is not a node name/,
  },
  {
    name: "ssh -l with a lab named like a path",
    args: () => ["ssh", "node2", "-l", "../../x"],
    says: () => /--lab "\.\.\/\.\.\/x" is not a lab name/,
  },
  {
    name: "task with a scenario named like a path",
    args: () => ["task", "../../etc/passwd"],
    says: () => /task: scenario argument "\.\.\/\.\.\/etc\/passwd" is not an id/,
  },
  {
    name: "run --break carrying shell",
    args: (w) => [...run(w), "--break", "x$(reboot)"],
    says: () => /--break "x\$\(reboot\)" is not an id/,
  },
  {
    name: "run with an unknown provider",
    args: (w) => [...run(w), "--provider", "../x"],
    says: () => /--provider "\.\.\/x": choose one of auto, netns, uml, containers, vagrant/,
  },
  {
    name: "run with an unknown flag",
    args: (w) => [...run(w), "--frobnicate"],
    says: () => /unknown option '--frobnicate'/,
  },
  { name: "an unknown command", args: () => ["frobnicate"], says: () => /unknown command 'frobnicate'/ },
  {
    name: "grade with a pass mark over 100",
    args: (w) => ["grade", "--pass-mark", "150", "--results", w.results],
    says: () => /--pass-mark must be a percentage \(0–100\), got "150"/,
  },
  {
    name: "grade --student named like a path",
    args: (w) => ["grade", "--student", "../../x", "--results", w.results],
    says: () => /--student "\.\.\/\.\.\/x" is not a student id/,
  },
  {
    name: "grade with $MACVLAB_STUDENT carrying shell",
    args: (w) => ["grade", "--results", w.results],
    env: () => ({ MACVLAB_STUDENT: "s;rm -rf /" }),
    says: () => /MACVLAB_STUDENT "s;rm -rf \/" is not a student id/,
  },
  {
    name: "MACVLAB_STATE_DIR=/",
    args: () => ["down"],
    env: () => ({ MACVLAB_STATE_DIR: "/" }),
    says: () => /MACVLAB_STATE_DIR=\/: refusing the filesystem root/,
  },
  {
    name: "a provider state root that is a symlink",
    setup: (w) => {
      mkdirSync(w.state);
      symlinkSync(join(w.dir, "victim"), join(w.state, "netns"));
    },
    args: () => ["down", "two-hosts"],
    says: (w) => new RegExp(`refusing state directory ${esc(join(w.state, "netns"))}: it is a symbolic link`),
  },
  // output directories
  {
    name: "run --results /",
    args: (w) => ["run", w.scenario, "--results", "/"],
    says: () => /--results \/: refusing it: it is the filesystem root/,
  },
  {
    name: "run --results . (the working directory)",
    cwd: (w) => w.dir,
    args: (w) => ["run", w.scenario, "--results", "."],
    says: () => /--results \.: refusing it: it is the working directory/,
  },
  {
    name: "run --results $HOME",
    args: (w) => ["run", w.scenario, "--results", homedir()],
    says: () => new RegExp(`--results ${esc(homedir())}: refusing it: it is your home directory`),
  },
  {
    name: "run --results <the project root>",
    args: (w) => ["run", w.scenario, "--results", PROJECT_ROOT],
    says: () => /refusing it: it is the project/,
  },
  {
    name: "run --results <a directory containing the project>",
    args: (w) => ["run", w.scenario, "--results", dirname(PROJECT_ROOT)],
    says: () => /refusing it: it contains the project/,
  },
  {
    name: "run --results <the state directory>",
    args: (w) => ["run", w.scenario, "--results", w.state],
    says: () => /refusing it: it is the lab state directory/,
  },
  {
    name: "run --results <a non-empty directory macvlab did not make>",
    files: { "thesis/chapter1.tex": "precious" },
    args: (w) => ["run", w.scenario, "--results", join(w.dir, "thesis")],
    says: () => /thesis: refusing it: it is not empty and macvlab did not make it \(no \.macvlab-output file/,
  },
  {
    name: "rubric --results <a symlink>",
    setup: (w) => symlinkSync(join(w.dir, "victim"), join(w.dir, "link")),
    args: (w) => ["rubric", w.scenario, "--results", join(w.dir, "link")],
    says: () => /link: refusing it: it is a symbolic link/,
  },
  {
    name: "grade --results $HOME",
    args: () => ["grade", "--results", homedir()],
    says: () => /--results .*: refusing it: it is your home directory/,
  },
  {
    name: "run --jobs 0",
    args: (w) => [...run(w), "--jobs", "0"],
    says: () => /--jobs "0": give a whole number from 1 to 999, or auto/,
  },
  {
    name: "rubric --jobs with a shell word",
    args: (w) => ["rubric", w.scenario, "--jobs", "2;reboot"],
    says: () => /--jobs "2;reboot": give a whole number/,
  },
  {
    name: "a parallel run's job started by hand (no run to take scenarios from)",
    args: () => ["job"],
    says: () => /`macvlab job` is started by `macvlab run --jobs N`, not by hand/,
  },
  {
    name: "report -o /",
    args: (w) => ["report", "--results", w.results, "-o", "/"],
    says: () => /--output \/: refusing it: it is the filesystem root/,
  },
  // Nightly runs: shards, retries, known issues, timings, history
  {
    name: "run --shard 0/2",
    args: (w) => [...run(w), "--shard", "0/2"],
    says: () => /--shard "0\/2": give i\/n, this machine's part i of n/,
  },
  {
    name: "run --shard 3/2",
    args: (w) => [...run(w), "--list", "--shard", "3/2"],
    says: () => /--shard "3\/2": give i\/n/,
  },
  {
    name: "run --retries 9",
    args: (w) => [...run(w), "--retries", "9"],
    says: () => /--retries "9": give a whole number from 0 to 5/,
  },
  {
    name: "a known issue naming a check that does not exist",
    files: {
      "known.yaml": "- check: demo/nope\n  reason: it fails for a reason\n  link: https://example.org/issues/1\n",
    },
    args: (w) => [...run(w), "--known-issues", join(w.dir, "known.yaml")],
    says: () => /known\.yaml:1:10: 0\.check: no check demo\/nope in scenario demo/,
  },
  {
    name: "a known issue whose link is not http(s)",
    files: { "known.yaml": "- check: demo/reach\n  reason: it fails for a reason\n  link: file:///etc/passwd\n" },
    args: (w) => [...run(w), "--known-issues", join(w.dir, "known.yaml")],
    says: () => /known\.yaml:3:9: 0\.link: an http\(s\) URL where the failure is tracked/,
  },
  {
    name: "a timings file with a negative duration",
    files: { "t.json": '{"scenarios": {"demo": -1}}\n' },
    args: (w) => [...run(w), "--list", "--shard", "1/2", "--timings", join(w.dir, "t.json")],
    says: () => /t\.json:1:24: scenarios\.demo: Too small: expected number to be >=0/,
  },
  {
    name: "report --history-limit 0",
    args: (w) => ["report", "--results", w.results, "--history-limit", "0"],
    says: () => /--history-limit "0": give a whole number from 1 to 1000/,
  },
];
