import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { PROJECT_ROOT } from "../model/paths.ts";
import { hostSnapshot } from "../testing/host-snapshot.ts";
import { scratchWorkPerTest } from "../testing/scratch-work.ts";

const BIN = join(PROJECT_ROOT, "bin", "macvlab.js");
const SCENARIO = join(PROJECT_ROOT, "scenarios", "macvlan-same-network.yaml");
const NODE_STATE = [
  "ip -j link show",
  "ip -j addr show",
  "ip -j route show table all",
  "sysctl -a 2>/dev/null | grep -E '^net[.]ipv4[.](ip_forward|conf[.][^.]+[.](forwarding|proxy_arp|rp_filter)) '",
  "iptables-save | grep -v '^#' | sed 's/[[][0-9]*:[0-9]*[]]//'",
  "ip netns list",
  "for n in $(ip netns list | cut -d' ' -f1); do ip -n $n -j link show; ip -n $n -j addr show; ip -n $n -j route show table all; done",
].join("; echo; ");

describe("graded mode end to end (root, netns provider)", () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let hostBefore: string;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env, timeout: 170_000 });
  /** Links, addresses, routes, sysctls, iptables and namespaces of every node, read from outside the harness. */
  const nodeState = () =>
    ["node2", "node3"].map((node) => {
      const dir = join(work, "state", "netns", "two-hosts", "nodes", node);
      return execFileSync(
        "nsenter",
        [`--net=${dir}/net`, `--uts=${dir}/uts`, `--mount=${dir}/mnt`, "sh", "-c", NODE_STATE],
        { encoding: "utf8" },
      );
    });
  const grade = () => {
    const result = cli("grade", SCENARIO, "--student", "s-042", "--results", join(work, "results"));
    return {
      result,
      json: JSON.parse(readFileSync(join(PROJECT_ROOT, "reports", "grade.json"), "utf8")),
      junit: readFileSync(join(PROJECT_ROOT, "reports", "grade-junit.xml"), "utf8"),
    };
  };

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "macvlab-grade-"));
    env = { ...process.env, MACVLAB_STATE_DIR: join(work, "state") };
    hostBefore = hostSnapshot();
  });
  afterEach(() => {
    cli("lab", "down");
    expect(hostSnapshot(), "host root namespace changed").to.equal(hostBefore);
    rmSync(work, { recursive: true, force: true });
  });

  it("gives full marks to a correctly set-up lab and leaves every node exactly as it was", () => {
    expect(cli("lab", "up", "two-hosts", "--solve", SCENARIO).status).to.equal(0);
    // IPv6 duplicate address detection settles on its own shortly after the setup: not grading's doing.
    let before = nodeState();
    for (let i = 0; i < 50 && before.some((s) => s.includes('"tentative"')); i++) {
      execFileSync("sleep", ["0.1"]);
      before = nodeState();
    }
    const { result, json, junit } = grade();
    expect(result.status, result.stdout + result.stderr).to.equal(0);
    expect(nodeState(), "grading changed a node").to.deep.equal(before);
    expect(json).to.include({
      student: "s-042",
      points: 11,
      earned: 11,
      percent: 100,
      passed: true,
      provider: "netns",
    });
    expect(json.scenarios[0].checks.map((c: { status: string }) => c.status)).to.deep.equal(Array(8).fill("passed"));
    expect(result.stdout).to.match(/total 11\/11 \(100%\), pass mark 100%: PASSED/);
    expect(junit).to.match(/<testsuite name="macvlan-same-network" tests="8" failures="0" skipped="0"/);
  });

  it("after a deliberate mistake, takes exactly the points of the checks it breaks, with the hints", () => {
    expect(cli("lab", "up", "two-hosts", "--solve", SCENARIO, "--mistake", "parent-down").status).to.equal(0);
    const { result, json, junit } = grade();
    expect(result.status, result.stdout).to.equal(1);
    const lost = json.scenarios[0].checks
      .filter((c: { earned: number; points: number }) => c.earned < c.points)
      .map((c: { check: string; status: string }) => `${c.check}:${c.status}`);
    expect(lost).to.deep.equal([
      "node2-parent-promisc:failed",
      "box2-reaches-box1:failed",
      "box1-reaches-box2:failed",
      "untagged-on-the-wire:blocked",
    ]);
    expect(json).to.include({ points: 11, earned: 4, passed: false });
    expect(result.stdout).to.match(
      /node2-parent-promisc +0\/1 +FAIL\n +expected present, UP, PROMISC, saw present, no UP, no PROMISC\n +hint: ip link set dev enp0s3 promisc on/,
    );
    expect(result.stdout).to.match(/untagged-on-the-wire +0\/1 +blocked\n +blocked by box1-reaches-box2/);
    expect(junit).to.match(/tests="8" failures="3" skipped="1"/);
  });

  it("grades part by part: --stage 1 passes on a lab whose second stage is still wrong, the full grade does not", () => {
    expect(cli("lab", "up", "two-hosts", "--solve", SCENARIO, "--mistake", "other-subnet").status).to.equal(0);
    const first = cli("grade", SCENARIO, "--stage", "1", "--student", "s-042", "--results", join(work, "results"));
    expect(first.status, first.stdout + first.stderr).to.equal(0);
    const staged = JSON.parse(readFileSync(join(PROJECT_ROOT, "reports", "grade.json"), "utf8"));
    expect(staged).to.include({ points: 5, earned: 5, passed: true, throughStage: 1 });
    expect(staged.scenarios[0].stages).to.deep.equal([
      { stage: 1, title: "the hosts' parents and node2's container on macvlan", points: 5, earned: 5, graded: true },
      {
        stage: 2,
        title: "the containers reach each other across hosts, untagged",
        points: 0,
        earned: 0,
        graded: false,
      },
    ]);
    const later = staged.scenarios[0].checks.filter((c: { stage: number }) => c.stage === 2);
    expect(later.map((c: { status: string }) => c.status)).to.deep.equal(Array(3).fill("not-graded"));
    expect(first.stdout).to.match(
      /stage 2: the containers reach each other across hosts, untagged — not graded yet \(--stage 1\)/,
    );
    const whole = grade();
    expect(whole.result.status, whole.result.stdout).to.equal(1);
    expect(whole.json.scenarios[0].stages[1]).to.include({ stage: 2, graded: true, earned: 0 });
    expect(whole.result.stdout).to.match(
      /untagged-on-the-wire +0\/1 +blocked\n +blocked by box1-reaches-box2 \(stage 2\)/,
    );
    for (const bad of ["3", "0", "x"]) {
      const refused = cli("grade", SCENARIO, "--stage", bad);
      expect(refused.status, `--stage ${bad}`).to.equal(2);
      expect(refused.stderr).to.match(/--stage/);
    }
  });

  it("lab up --to-stage 1 builds the first stage only; the student does the second over ssh and the full grade passes", () => {
    const up = cli("lab", "up", "two-hosts", "--solve", SCENARIO, "--to-stage", "1");
    expect(up.status, up.stderr).to.equal(0);
    expect(up.stdout).to.match(/through stage 1 \(the hosts' parents and node2's container on macvlan\)/);
    const first = cli("grade", SCENARIO, "--stage", "1", "--results", join(work, "results"));
    expect(first.status, first.stdout).to.equal(0);
    expect(cli("grade", SCENARIO, "--results", join(work, "results")).status).to.equal(1);
    // Stage 2 as a student would type it on node3 (the scenario's own stage-2 commands).
    const stage2 = [
      "ip netns add net1",
      "ip link add link enp0s3 mac1 type macvlan mode bridge",
      "ip link set dev mac1 netns net1",
      "ip netns exec net1 ip link set dev mac1 name eth0",
      "ip netns exec net1 ip addr add 172.16.5.3/24 dev eth0",
      "ip netns exec net1 ip link set dev eth0 up",
      "",
    ].join("\n");
    const typed = spawnSync(process.execPath, [BIN, "ssh", "node3", "--lab", "two-hosts"], {
      encoding: "utf8",
      env,
      input: stage2,
      timeout: 60_000,
    });
    expect(typed.status, typed.stderr).to.equal(0);
    const { result, json } = grade();
    expect(result.status, result.stdout).to.equal(0);
    expect(json).to.include({ points: 11, earned: 11, passed: true });
    for (const refused of [
      cli("lab", "up", "two-hosts", "--solve", SCENARIO, "--to-stage", "3"),
      cli("lab", "up", "two-hosts", "--to-stage", "1"),
      cli("lab", "up", "two-hosts", "--solve", SCENARIO, "--to-stage", "1", "--mistake", "parent-down"),
    ]) {
      expect(refused.status, refused.stderr).to.equal(2);
      expect(refused.stderr).to.match(/--to-stage/);
    }
  });

  it("a class: two students' labs of one lab side by side, each graded on its own, and the class summary", () => {
    const classDir = join(PROJECT_ROOT, "reports", "class");
    rmSync(classDir, { recursive: true, force: true });
    try {
      // netns does not isolate a student from this host: a class lab there needs the trainer to say so.
      const refused = cli("lab", "up", "two-hosts", "--as", "s-1");
      expect(refused.status, refused.stderr).to.equal(2);
      expect(refused.stderr).to.match(/provider netns does not isolate a student.*nsenter -t 1 -a.*--no-isolation/s);
      expect(existsSync(join(work, "state", "class", "s-1")), "a refused lab up made nothing").to.equal(false);
      expect(cli("lab", "up", "two-hosts", "--no-isolation").status).to.equal(2);
      const up = cli("lab", "up", "two-hosts", "--as", "s-1", "--no-isolation", "--solve", SCENARIO);
      expect(up.status, up.stderr).to.equal(0);
      expect(up.stdout).to.match(/not isolated \(--no-isolation\): a node is namespaces on this host/);
      expect(
        cli("lab", "up", "two-hosts", "--as", "s-2", "--no-isolation", "--solve", SCENARIO, "--to-stage", "1").status,
      ).to.equal(0);
      const listed = cli("lab", "list").stdout;
      expect(listed).to.match(/netns: two-hosts \(as s-1\)/);
      expect(listed).to.match(/netns: two-hosts \(as s-2\)/);
      expect(cli("lab", "list", "--as", "s-2").stdout).to.match(
        /^ {2}netns: two-hosts — up less than a minute, by root\n$/,
      );
      const first = cli("grade", SCENARIO, "--as", "s-1");
      expect(first.status, first.stdout + first.stderr).to.equal(0);
      const second = cli("grade", SCENARIO, "--as", "s-2");
      expect(second.status, second.stdout).to.equal(1);
      const own = (id: string) => JSON.parse(readFileSync(join(classDir, id, "grade.json"), "utf8"));
      expect(own("s-1")).to.include({ student: "s-1", earned: 11, passed: true });
      expect(own("s-2")).to.include({ student: "s-2", earned: 5, passed: false });
      const summary = cli("class");
      expect(summary.status, summary.stderr).to.equal(1);
      expect(summary.stdout).to.match(/s-1 +11\/11 +100% +PASSED\ns-2 +5\/11 +45\.5% +NOT PASSED/);
      const csv = readFileSync(join(classDir, "class.csv"), "utf8").split("\n");
      expect(csv[0]).to.equal(
        `student,macvlan-same-network stage 1: the hosts' parents and node2's container on macvlan,"macvlan-same-network stage 2: the containers reach each other across hosts, untagged",total,percent,passed,graded at`,
      );
      expect(csv[1]).to.match(/^s-1,5\/5,6\/6,11\/11,100,yes,/);
      expect(csv[2]).to.match(/^s-2,5\/5,0\/6,5\/11,45\.5,no,/);
      expect(readFileSync(join(classDir, "class-junit.xml"), "utf8")).to.match(/tests="2" failures="1"/);
    } finally {
      for (const id of ["s-1", "s-2"]) expect(cli("lab", "down", "--as", id).status).to.equal(0);
    }
    expect(cli("lab", "list").stdout).to.equal("no lab is up\n");
  });

  it("refuses to grade a lab that is not up (exit 2), and a pass mark that is not a percentage", () => {
    const missing = cli("grade", SCENARIO);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.match(/lab two-hosts \(for macvlan-same-network\) is not up/);
    expect(cli("grade", SCENARIO, "--pass-mark", "150").status).to.equal(2);
  });

  it("a fake ping bind-mounted in a node (the attack that earned points) is found, reported, and earns nothing", () => {
    expect(cli("lab", "up", "two-hosts").status).to.equal(0);
    // As a student who is root on node3: a script that prints a perfect reply, over the real ping, and
    // the namespace the check looks in. Everything in the node's own /run and mount namespace.
    const tamper = spawnSync(process.execPath, [BIN, "ssh", "node3", "--lab", "two-hosts"], {
      encoding: "utf8",
      env,
      input: [
        "printf '%s\\n' '#!/bin/sh' 'echo \"64 bytes from 172.16.5.2: icmp_seq=1 ttl=64 time=0.04 ms\"' 'echo \"3 packets transmitted, 3 received, 0% packet loss, time 2003ms\"' 'echo \"rtt min/avg/max/mdev = 0.04/0.04/0.04/0.00 ms\"' > /run/fakeping",
        "chmod 755 /run/fakeping && mount --bind /run/fakeping /usr/bin/ping && ip netns add net1",
        "ping -c 3 172.16.5.2 | head -1",
      ].join("\n"),
      timeout: 60_000,
    });
    expect(tamper.status, tamper.stderr).to.equal(0);
    expect(tamper.stdout, "the fake is in place").to.include("64 bytes from 172.16.5.2");
    const { result, json } = grade();
    expect(result.status, result.stdout).to.equal(1);
    expect(result.stdout).to.include("GRADE WITHHELD: tampering detected");
    expect(result.stdout).to.match(/lab two-hosts: node3: \/usr\/bin\/ping is mounted over inside the node/);
    expect(json).to.include({ earned: 0, passed: false });
    expect(json.tampering).to.have.length(1);
    const check = json.scenarios[0].checks.find((c: { check: string }) => c.check === "box2-reaches-box1");
    expect(check).to.include({ earned: 0, status: "failed" });
    expect(check.reason).to.match(/withheld/);
    expect(cli("lab", "down").status).to.equal(0);
  });

  it("a student who tampers with how the grader reaches the nodes gains nothing: injected sshd options do nothing, a changed passwd or an sshrc is found", () => {
    expect(cli("lab", "up", "two-hosts").status).to.equal(0);
    const labDir = join(work, "state", "netns", "two-hosts");
    const perfectReply = [
      "64 bytes from 172.16.5.2: icmp_seq=1 ttl=64 time=0.04 ms",
      "3 packets transmitted, 3 received, 0% packet loss, time 2003ms",
    ];
    const asStudent = (node: string, input: string) =>
      spawnSync(process.execPath, [BIN, "ssh", node, "--lab", "two-hosts"], {
        encoding: "utf8",
        env,
        input,
        timeout: 60_000,
      });
    // 1. Options put in front of every sshd_config the lab keeps (sshd keeps the first value it reads).
    const configs = execFileSync("find", [labDir, "-name", "sshd_config"], { encoding: "utf8" }).trim().split("\n");
    expect(configs.length).to.be.greaterThan(1);
    for (const config of configs)
      writeFileSync(
        config,
        `ForceCommand /bin/echo '${perfectReply[0]}'\nPermitUserRC yes\n${readFileSync(config, "utf8")}`,
      );
    const injected = grade();
    expect(injected.result.status, injected.result.stdout).to.equal(1);
    expect(injected.json).to.include({ earned: 0 });
    expect(injected.json.tampering, "nothing to find: the grader wrote its own configs").to.equal(undefined);
    // 2. The nodes' passwd in the state dir: root's shell a script that prints a perfect reply to anything.
    const passwdFile = join(labDir, "passwd");
    const passwd = readFileSync(passwdFile, "utf8");
    writeFileSync(join(labDir, "fake-shell"), `#!/bin/sh\nprintf '%s\\n' '${perfectReply.join("' '")}'\n`, {
      mode: 0o755,
    });
    writeFileSync(passwdFile, passwd.replace(/^root:.*$/m, `root:x:0:0:root:/root:${join(labDir, "fake-shell")}`));
    const shell = grade();
    expect(shell.result.status, shell.result.stdout).to.equal(1);
    expect(shell.json).to.include({ earned: 0 });
    expect(shell.result.stdout).to.include("GRADE WITHHELD: tampering detected");
    expect(shell.json.tampering).to.deep.equal([
      "lab two-hosts: the nodes' passwd in the lab's state dir was changed: root's shell there runs every command the grader sends",
    ]);
    expect(readFileSync(passwdFile, "utf8"), "the grader put the passwd back").to.equal(passwd);
    // 3. In node3, an sshrc (sshd runs it before every command, whatever PermitUserRC says) that prints a perfect reply.
    writeFileSync(join(labDir, "sshrc"), `printf '%s\\n' '${perfectReply.join("' '")}'\n`);
    const rc = asStudent(
      "node3",
      `mount -t tmpfs none /etc/ssh && cp ${join(labDir, "sshrc")} /etc/ssh/sshrc && sh /etc/ssh/sshrc\n`,
    );
    expect(rc.status, rc.stderr).to.equal(0);
    expect(rc.stdout).to.include("64 bytes from 172.16.5.2");
    const sshrc = grade();
    expect(sshrc.result.status, sshrc.result.stdout).to.equal(1);
    expect(sshrc.json).to.include({ earned: 0 });
    expect(sshrc.json.tampering).to.deep.equal([
      "lab two-hosts: node3: /etc/ssh is mounted over inside the node (the checks' tools come from there)",
      "lab two-hosts: node3: /etc/ssh/sshrc exists there: sshd runs it before every command the grader sends",
    ]);
    expect(cli("lab", "down").status).to.equal(0);
  });

  it("`ssh` without a terminal reads commands from stdin, ends at its end and passes the shell's exit on", () => {
    expect(cli("lab", "list").stdout).to.equal("no lab is up\n");
    expect(cli("lab", "up", "two-hosts").status).to.equal(0);
    expect(cli("lab", "list").stdout).to.match(/^ {2}netns: two-hosts — up less than a minute, by root\n$/);
    const ssh = (input: string) =>
      spawnSync(process.execPath, [BIN, "ssh", "node2", "--lab", "two-hosts"], {
        encoding: "utf8",
        env,
        input,
        timeout: 60_000,
      });
    const scripted = ssh("hostname\nip -br link show dev enp0s3\nexit 3\n");
    expect(scripted.status, scripted.stderr).to.equal(3);
    expect(scripted.stdout).to.match(/^node2\nenp0s3(@\S+)?\s+UP/);
    // Nothing to read: the shell ends at once, as `ssh host < /dev/null` does (a pty would wait forever).
    const empty = ssh("");
    expect(empty.status, empty.stderr).to.equal(0);
    expect(cli("lab", "down").status).to.equal(0);
  });
});

const umlSkip = existsSync("/usr/bin/linux")
  ? undefined
  : "/usr/bin/linux is absent (apt-get install user-mode-linux kmod)";
if (umlSkip && process.env.MACVLAB_FORBID_SKIPS === "1") throw new Error(`UML graded tests cannot run: ${umlSkip}`);

/** The keeper and the kernel of a kept uml lab, as this machine's process table shows them. */
function keptProcesses(stateDir: string): string[] {
  const table = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return table.split("\n").filter((line) => line.includes("keep uml two-hosts") || line.includes(stateDir));
}

(umlSkip ? describe.skip : describe)(
  `graded mode on uml: a kernel kept between commands${umlSkip ? ` — skipped: ${umlSkip}` : ""}`,
  () => {
    const state = () => join(work.dir, "state");
    const env = () => ({ ...process.env, MACVLAB_STATE_DIR: state() });
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: env(), timeout: 170_000 });

    // Registered before the scratch dir's hooks, so it runs before their check: the lab goes down first.
    afterEach(() => {
      cli("lab", "down");
      expect(keptProcesses(state()), "a keeper or kernel outlived `lab down`").to.deep.equal([]);
    });
    const work = scratchWorkPerTest("macvlab-grade-uml-");

    it("one command brings the lab up, others grade it and work on it while it stays up, a last one takes it down", () => {
      const up = cli("lab", "up", "two-hosts", "--provider", "uml", "--solve", SCENARIO);
      expect(up.status, up.stderr).to.equal(0);
      expect(up.stdout).to.match(/lab two-hosts is up on uml/);
      expect(keptProcesses(state()), "the kernel ended with the command that booted it").to.not.deep.equal([]);
      expect(cli("lab", "list").stdout).to.match(/^ {2}uml: two-hosts — up less than a minute, by root\n$/);
      const first = cli("grade", SCENARIO, "--student", "s-042", "--results", join(work.dir, "results"));
      expect(first.status, first.stdout + first.stderr).to.equal(0);
      expect(first.stdout).to.match(/total 11\/11 \(100%\), pass mark 100%: PASSED/);
      const json = JSON.parse(readFileSync(join(PROJECT_ROOT, "reports", "grade.json"), "utf8"));
      expect(json).to.include({ provider: "uml", earned: 11 });
      // A student's mistake, made through a shell of its own: the next grade sees the lab as it is now.
      const mistake = spawnSync(process.execPath, [BIN, "ssh", "node3", "--lab", "two-hosts"], {
        encoding: "utf8",
        env: env(),
        input: "ip netns exec net1 ip addr del 172.16.5.3/24 dev eth0\nhostname\n",
        timeout: 60_000,
      });
      expect(mistake.status, mistake.stderr).to.equal(0);
      expect(mistake.stdout).to.equal("node3\n");
      const second = cli("grade", SCENARIO, "--student", "s-042", "--results", join(work.dir, "results"));
      expect(second.status, second.stdout).to.equal(1);
      expect(second.stdout).to.match(/box2-reaches-box1 +0\/3 +FAIL/);
      const down = cli("lab", "down", "two-hosts");
      expect(down.status, down.stderr).to.equal(0);
      expect(keptProcesses(state())).to.deep.equal([]);
      expect(existsSync(join(state(), "uml", "two-hosts")), "the lab's state dir is left").to.equal(false);
    });

    it("a killed keeper takes its kernel with it: grading says the lab is gone, `lab down` clears the rest", () => {
      expect(cli("lab", "up", "two-hosts", "--provider", "uml").status).to.equal(0);
      const record = JSON.parse(readFileSync(join(state(), "uml", "two-hosts", "keeper.json"), "utf8"));
      process.kill(record.pid, "SIGKILL");
      for (let i = 0; i < 100 && keptProcesses(state()).length > 0; i++) execFileSync("sleep", ["0.1"]);
      expect(keptProcesses(state()), "the kernel outlived its keeper").to.deep.equal([]);
      const grade = cli("grade", SCENARIO);
      expect(grade.status).to.not.equal(0);
      expect(grade.stdout + grade.stderr).to.match(/lab two-hosts is not up on uml: its kernel's keeper is gone/);
      expect(cli("lab", "down").stdout).to.equal("uml: lab two-hosts down\n");
    });
  },
);
