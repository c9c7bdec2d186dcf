import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { PROJECT_ROOT } from "../model/paths.ts";

/**
 * The README, tested: every command of every `sh` block runs as written — a block as one shell
 * script, as a reader pastes it, from the project's root with no stdin — and must end with the exit
 * the README implies. The few that cannot run here say why below; a README command this table does
 * not know runs and must exit 0, and a reason left for a command the README no longer has fails.
 * `npm run test:readme`; .ci/run runs it after the Vagrant step, when vagrant and docker.io are installed.
 */

const README = join(PROJECT_ROOT, "README.md");

const RUNNER_IMAGE =
  ".ci/runner-image runs exactly these (the image built, a shard run in it as uid 1000 with no capability, beside the same shard run directly)";
const VAGRANT_BLOCK =
  ".ci/vagrant runs this block as written, read from this file, and checks that the run was on vagrant, reused the lab two-hosts and left nothing";
const CONTAINERS_BLOCK =
  ".ci/containers does this on its own private dockerd: every scenario the engine's kernel can run on --provider containers, their rubric, the same verdicts as netns, the engine tests, nothing left";
const NO_CLUSTER =
  "this machine has no Kubernetes cluster: npm test validates the manifests `macvlab k8s` writes against the API schema";

/** Commands that do not run here, by their exact text, and why. */
const NOT_RUN: Record<string, string> = {
  "apt-get update && apt-get install -y openssh-server iproute2 iputils-ping iptables tcpdump net-tools vlan user-mode-linux kmod gcc ruby libteam-utils chromium docker.io busybox-static docker-registry && npm ci && npm run lab":
    ".ci/run runs it as written, as its first step (its `npm ci` replaces node_modules, which this test runs from)",
  "npm test": ".ci/run runs it as written, as its second step (this test is part of the CI run after it)",
  "bin/macvlab.js run": "every scenario: the main job (`npm run lab`), which .ci/run runs as written",
  "bin/macvlab.js run --jobs 1":
    "every scenario one after another (three and a half minutes here): `npm run bench` measures it beside --jobs",
  "apt-get install -y vagrant virtualbox":
    "VirtualBox needs a hypervisor, which this machine (a container) has none of; .ci/vagrant validates every lab's VirtualBox configuration with a stub VBoxManage",
  "MACVLAB_LAB=two-hosts vagrant validate": "VirtualBox (see above): .ci/vagrant runs `vagrant validate` for every lab",
  "bin/macvlab.js run --provider vagrant scenarios/macvlan-same-network.yaml scenarios/l3-routed.yaml":
    "VirtualBox (see above): the docker-backend block below runs the same scenarios through Vagrant",
  "apt-get install -y vagrant docker.io debootstrap": VAGRANT_BLOCK,
  "harness/providers/vagrant/node-image/engine.sh start /tmp/engine": VAGRANT_BLOCK,
  "export DOCKER_HOST=unix:///tmp/engine/docker.sock": VAGRANT_BLOCK,
  "harness/providers/vagrant/node-image/build.sh": VAGRANT_BLOCK,
  "nsenter --net=/tmp/engine/net env MACVLAB_VAGRANT_PROVIDER=docker bin/macvlab.js run --provider vagrant scenarios/macvlan-same-network.yaml scenarios/host-macvlan-limitation.yaml":
    VAGRANT_BLOCK,
  "nsenter --net=/tmp/engine/net env MACVLAB_VAGRANT_PROVIDER=docker bin/macvlab.js lab up two-hosts --provider vagrant --solve macvlan-same-network":
    VAGRANT_BLOCK,
  "nsenter --net=/tmp/engine/net env MACVLAB_VAGRANT_PROVIDER=docker bin/macvlab.js grade scenarios/macvlan-same-network.yaml --provider vagrant --results reports/grade-results":
    VAGRANT_BLOCK,
  "nsenter --net=/tmp/engine/net env MACVLAB_VAGRANT_PROVIDER=docker bin/macvlab.js lab down two-hosts": VAGRANT_BLOCK,
  "harness/providers/vagrant/node-image/engine.sh stop /tmp/engine": VAGRANT_BLOCK,
  "harness/providers/vagrant/node-image/engine.sh start /tmp/cengine": CONTAINERS_BLOCK,
  "export DOCKER_HOST=unix:///tmp/cengine/docker.sock": CONTAINERS_BLOCK,
  "bin/macvlab.js run --provider containers scenarios/macvlan-same-network.yaml scenarios/l3-routed.yaml":
    CONTAINERS_BLOCK,
  "harness/providers/vagrant/node-image/engine.sh stop /tmp/cengine": CONTAINERS_BLOCK,
  "deploy/runner-image/build.sh macvlab-runner:latest": RUNNER_IMAGE,
  "mkdir -p /tmp/shard-2 && chown 1000:1000 /tmp/shard-2": RUNNER_IMAGE,
  "docker run --rm --network none --user 1000:1000 --cap-drop ALL --security-opt no-new-privileges -v /tmp/shard-2:/results -e SHARD=2/3 macvlab-runner:latest":
    RUNNER_IMAGE,
  "kubectl apply -f reports/k8s/results-claim.yaml -f reports/k8s/nightly-shards.yaml": NO_CLUSTER,
  "kubectl wait --for=condition=Complete --timeout=2h job/macvlab-nightly-shards; kubectl apply -f reports/k8s/nightly-merge.yaml":
    NO_CLUSTER,
};

/** Exits other than 0 that the README implies. */
const EXITS: Record<string, readonly number[]> = {
  "bin/macvlab.js run scenarios/l3-routed.yaml --break forwarding-off": [1],
  // Ready (0) when every provider's tools are installed, else 2 with what is missing.
  "bin/macvlab.js doctor": [0, 2],
  // A bare lab: the student has done nothing yet.
  "bin/macvlab.js grade scenarios/macvlan-same-network.yaml --student s-042 --pass-mark 80": [1],
  // The class's labs are bare too: no student has done anything, so no one passes.
  "bin/macvlab.js grade scenarios/macvlan-same-network.yaml --as s-001 --stage 1": [1],
  "for s in s-001 s-002 s-003; do bin/macvlab.js grade scenarios/macvlan-same-network.yaml --as $s; done": [1],
  "bin/macvlab.js class": [1],
};

interface Command {
  readonly line: number;
  /** As written, continuation lines included. */
  readonly raw: string;
  /** Without its trailing comment and with continuations joined: the key of the tables above. */
  readonly text: string;
}

interface Block {
  readonly line: number;
  readonly commands: readonly Command[];
}

function shBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```sh") continue;
    const commands: Command[] = [];
    const start = i + 1;
    for (i++; i < lines.length && lines[i] !== "```"; i++) {
      const first = i;
      let raw = lines[i] ?? "";
      if (!raw.trim() || raw.trim().startsWith("#")) continue;
      while (raw.endsWith("\\") && i + 1 < lines.length) raw += `\n${lines[++i]}`;
      const text = raw
        .replace(/\\\n\s*/g, "")
        .replace(/\s+#\s.*$/, "")
        .trim();
      commands.push({ line: first + 1, raw, text });
    }
    blocks.push({ line: start, commands });
  }
  return blocks;
}

const MARK = "\x1edoc-test";

/** One block as a script: each command as written, followed by a line that reports its exit status. */
function script(block: Block): string {
  return block.commands
    .map((c, i) => (NOT_RUN[c.text] ? `: skipped, line ${c.line}` : `${c.raw}\nprintf '${MARK} %s %s\\n' ${i} "$?"`))
    .join("\n");
}

describe("the README, run as written", function () {
  this.timeout(1_800_000);
  const blocks = shBlocks(readFileSync(README, "utf8"));
  const skeleton = join(PROJECT_ROOT, "scenarios", "my-first.yaml");
  let skeletonBefore = false;

  const macvlab = (...args: string[]) =>
    spawnSync(process.execPath, [join(PROJECT_ROOT, "bin", "macvlab.js"), ...args], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
  /** Labs that are up, as `macvlab list` shows them ("  netns: two-hosts"). */
  const running = () => (macvlab("list").stdout.split("running:\n")[1] ?? "").split("\n").filter(Boolean);
  let runningBefore: string[] = [];

  before(() => {
    skeletonBefore = existsSync(skeleton);
    runningBefore = running();
  });
  after(() => {
    // What the README's commands made and a failed block left: only that, never what was here before.
    if (!skeletonBefore) rmSync(skeleton, { force: true });
    for (const line of running().filter((l) => !runningBefore.includes(l))) {
      const lab = /^ {2}\w+: ([a-z0-9-]+)$/.exec(line)?.[1];
      if (lab) macvlab("down", lab);
    }
  });

  it("starts with the main job and the tests, and every command not run here says why", () => {
    expect(blocks.length).to.be.at.least(5);
    expect(blocks[0]?.commands.map((c) => c.text)).to.deep.equal(Object.keys(NOT_RUN).slice(0, 2));
    const inReadme = new Set(blocks.flatMap((b) => b.commands.map((c) => c.text)));
    const stale = [...Object.keys(NOT_RUN), ...Object.keys(EXITS)].filter((t) => !inReadme.has(t));
    expect(stale, "reasons for commands the README no longer has").to.deep.equal([]);
    const ci = readFileSync(join(PROJECT_ROOT, ".ci", "run"), "utf8");
    expect(ci, ".ci/run runs the README's first block as written")
      .to.include("readme_command 1")
      .and.include("readme_command 2");
    const vagrant = readFileSync(join(PROJECT_ROOT, ".ci", "vagrant"), "utf8");
    expect(vagrant, ".ci/vagrant runs the README's docker-backend block as written").to.include(
      "awk '/^### Against Vagrant.s docker provider/",
    );
    expect(readFileSync(README, "utf8")).to.include("### Against Vagrant's docker provider");
  });

  for (const [index, block] of blocks.entries()) {
    const runs = block.commands.filter((c) => !NOT_RUN[c.text]);
    const why = [...new Set(block.commands.map((c) => NOT_RUN[c.text]))].join("; ");
    const title = runs.length
      ? `block ${index + 1} (README line ${block.line}): ${runs.map((c) => c.text.split(" ").slice(0, 3).join(" ")).join("; ")}`
      : `block ${index + 1} (README line ${block.line}) does not run here: ${why}`;
    it(title, function () {
      if (!runs.length) return this.skip();
      if (skeletonBefore && block.commands.some((c) => c.text.includes("new scenario my-first")))
        throw new Error(`${skeleton} exists already: the README's \`new scenario my-first\` would refuse it`);
      const result = spawnSync("bash", ["-c", script(block)], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 1_500_000,
        maxBuffer: 256 * 1024 * 1024,
      });
      const said = `${result.stdout.slice(-6000)}\n${result.stderr.slice(-6000)}`;
      const exits = new Map(
        [...result.stdout.matchAll(new RegExp(`${MARK} (\\d+) (\\d+)`, "g"))].map((m) => [Number(m[1]), Number(m[2])]),
      );
      for (const [i, command] of block.commands.entries()) {
        if (NOT_RUN[command.text]) continue;
        const wanted = EXITS[command.text] ?? [0];
        expect(exits.get(i), `README line ${command.line}: ${command.text}\n${said}`).to.be.oneOf(wanted);
      }
    });
  }
});
