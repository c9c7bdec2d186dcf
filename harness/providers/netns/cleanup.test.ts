import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { InputError } from "../../model/errors.ts";
import { type Lab, LabSchema } from "../../model/lab.ts";
import { PROJECT_ROOT } from "../../model/paths.ts";
import { cgroupHierarchies } from "../../testing/host-snapshot.ts";
import { CGROUP_PARENT_FILE } from "../namespace-lab/docker-engine.ts";
import type { StartedLab } from "../provider.ts";
import { STATE_MARKER } from "../state-marker.ts";
import { NetnsProvider } from "./netns-provider.ts";

// CI sets MACVLAB_FORBID_SKIPS=1: a run that cannot build namespaces there must fail, not turn green.
const skipReason = process.getuid?.() === 0 ? undefined : "building namespace labs needs root";
if (skipReason && process.env.MACVLAB_FORBID_SKIPS === "1") throw new Error(`netns tests cannot run: ${skipReason}`);
const suite = skipReason ? describe.skip : describe;

const lab: Lab = {
  ...LabSchema.parse({
    name: "cleanup-test",
    segments: { lan: { kind: "switch" } },
    nodes: { n1: { nics: [{ name: "eth0", segment: "lan", promiscuous: false }] } },
  }),
  file: "cleanup-test.yaml",
};

/** Host pids whose command line is exactly `argv`. */
function pidsRunning(argv: readonly string[]): number[] {
  const wanted = `${argv.join("\0")}\0`;
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8") === wanted;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Host processes whose command line names `text`. */
function processesNaming(text: string): string[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        return cmdline.includes(text) ? [`${pid} ${cmdline}`] : [];
      } catch {
        return [];
      }
    });
}

const hasDocker = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].some(existsSync);

function nsInode(pid: number, kind: string): number {
  return statSync(`/proc/${pid}/ns/${kind}`).ino;
}

/** Every namespace inode still held by a process or an nsfs mount on this host. */
function liveNamespaces(): Set<number> {
  const live = new Set<number>();
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)))
    for (const kind of ["net", "uts", "mnt", "pid"])
      try {
        live.add(statSync(`/proc/${pid}/ns/${kind}`).ino);
      } catch {
        // gone meanwhile, or a zombie
      }
  for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n"))
    if (line.startsWith("nsfs ")) live.add(statSync(line.split(" ")[1] ?? "/").ino);
  return live;
}

suite(`a netns lab's cleanup${skipReason ? ` — skipped: ${skipReason}` : ""}`, function () {
  this.timeout(60_000);
  let root: string;
  let previous: string | undefined;
  const provider = new NetnsProvider();

  beforeEach(async () => {
    previous = process.env.MACVLAB_STATE_DIR;
    // Below the checkout (root-owned, 0755 parents): the lab's sshd runs with StrictModes yes.
    root = await mkdtemp(join(PROJECT_ROOT, ".macvlab-cleanup-test-"));
    process.env.MACVLAB_STATE_DIR = root;
  });
  afterEach(async () => {
    await provider.down(lab.name).catch(() => {});
    await provider.down("cleanup-docker").catch(() => {});
    if (previous === undefined) delete process.env.MACVLAB_STATE_DIR;
    else process.env.MACVLAB_STATE_DIR = previous;
    await rm(root, { recursive: true, force: true });
  });

  it("leaves nothing a setup step started on a node, even what left the node's UTS namespace", async () => {
    const netnsBefore = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
    const started: StartedLab = await provider.up(lab);
    const { shell } = started.node("n1");
    const dir = join(root, "netns", lab.name);
    expect(await readFile(join(dir, "ssh", "n1", "sshd_config"), "utf8")).to.match(/^StrictModes yes$/m);
    // Unique durations name our sleepers on the host.
    const tag = 900_000 + Math.floor(Math.random() * 90_000);
    const escapes = [
      ["sleep", String(tag)],
      ["sleep", String(tag + 1)],
    ] as const;
    await shell.exec(
      [
        `unshare -u sleep ${tag} </dev/null >/dev/null 2>&1 &`,
        `setsid unshare -u -n sleep ${tag + 1} </dev/null >/dev/null 2>&1 &`,
        "ip netns add inner",
        "sleep 0.3",
      ].join("\n"),
      { reject: true },
    );
    const pids = escapes.flatMap((argv) => pidsRunning(argv));
    expect(pids, "the escapes run").to.have.length(2);
    const held = pids.flatMap((pid) => [nsInode(pid, "uts"), nsInode(pid, "net"), nsInode(pid, "pid")]);
    // Inside, the node is all there is: its init is PID 1 and ps shows no host process.
    const ps = await shell.exec("cat /proc/1/cmdline | tr '\\0' ' '; echo; ps -e -o comm= | sort -u", { reject: true });
    expect(ps.stdout).to.contain("macvlab-node-pid1");
    expect(ps.stdout.split("\n")).to.not.include("systemd").and.to.not.include("node");

    await started.down();
    for (let i = 0; i < 50 && escapes.some((argv) => pidsRunning(argv).length > 0); i++) await sleep(50);
    expect(
      escapes.flatMap((argv) => pidsRunning(argv)),
      "escaped processes left",
    ).to.deep.equal([]);
    const live = liveNamespaces();
    expect(
      held.filter((ino) => live.has(ino)),
      "namespaces still held",
    ).to.deep.equal([]);
    expect(readFileSync("/proc/self/mounts", "utf8")).to.not.contain(dir);
    expect(existsSync(dir)).to.equal(false);
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).to.equal(netnsBefore);
  });

  it("ends a node whose namespace pins something outside the lab unmounted, found by its init's own arguments", async () => {
    const started: StartedLab = await provider.up(lab);
    const dir = join(root, "netns", lab.name);
    const init = processesNaming(`macvlab-node-pid1 n1 ${dir}/fstab`);
    expect(init, "the node's init (unshare and its child)").to.have.length(2);
    // What CI once saw: a node's pins were plain files again while its processes ran on.
    for (const kind of ["net", "uts", "mnt", "pid"]) execFileSync("umount", [join(dir, "nodes", "n1", kind)]);
    await started.down();
    expect(processesNaming(`macvlab-node-pid1 n1 ${dir}/fstab`), "the node's processes left").to.deep.equal([]);
    expect(existsSync(dir)).to.equal(false);
  });

  it("a node's Docker engine runs inside the node and goes with it: its processes and its cgroups, and no other cgroup", async function () {
    if (!hasDocker) {
      if (process.env.MACVLAB_FORBID_SKIPS === "1")
        throw new Error("dockerd is not installed (apt-get install -y docker.io)");
      this.skip();
    }
    this.timeout(180_000);
    const dockerLab: Lab = {
      ...LabSchema.parse({
        name: "cleanup-docker",
        segments: { lan: { kind: "switch" } },
        nodes: { n1: { docker: true, nics: [{ name: "eth0", segment: "lan" }] } },
      }),
      file: "cleanup-docker.yaml",
    };
    const hostSocket = existsSync("/run/docker.sock");
    const hostDockerConfig = () =>
      readdirSync("/etc/docker").map((f) => `${f} ${statSync(join("/etc/docker", f)).mtimeMs}`);
    const hostConfigBefore = hostDockerConfig();
    // containerd's opt plugin makes its directory on start: /opt/containerd, unless told otherwise.
    const hostOpt = () => (existsSync("/opt/containerd") ? statSync("/opt/containerd").mtimeMs : "absent");
    const hostOptBefore = hostOpt();
    const started = await provider.up(dockerLab);
    const dir = join(root, "netns", dockerLab.name);
    // A name teardown must never accept, planted beside the engine's own, and a cgroup of that name.
    const foreign = `macvlab-planted-${process.pid}`;
    const hierarchy = cgroupHierarchies()[0] ?? "/sys/fs/cgroup";
    mkdirSync(join(hierarchy, foreign));
    try {
      await mkdir(join(dir, "nodes", "ghost"), { recursive: true });
      await writeFile(join(dir, "nodes", "ghost", CGROUP_PARENT_FILE), `${foreign}\n`);
      const { shell } = started.node("n1");
      const run = await shell.exec(
        "docker run -d --name c1 --network none busybox sleep 86397 && docker ps --format '{{.Names}} {{.Image}}'",
        {
          reject: true,
          timeoutMs: 60_000,
        },
      );
      expect(run.stdout).to.contain("c1 busybox");
      expect(existsSync("/run/docker.sock"), "the engine's socket is the node's, not the host's").to.equal(hostSocket);
      expect(hostDockerConfig(), "the host's /etc/docker (key.json) neither written nor replaced").to.deep.equal(
        hostConfigBefore,
      );
      expect(readdirSync(join(dir, "nodes", "n1", "etc-docker")), "the node's own /etc/docker").to.include("key.json");
      expect(hostOpt(), "the host's /opt/containerd neither made nor touched").to.equal(hostOptBefore);
      expect(processesNaming(join(dir, "nodes", "n1", "containerd.toml")), "containerd, the node's own").to.not.be
        .empty;
      const name = readFileSync(join(dir, "nodes", "n1", CGROUP_PARENT_FILE), "utf8").trim();
      expect(name).to.match(/^macvlab-[0-9a-f]{16}$/);
      const engineCgroups = () => cgroupHierarchies().filter((h) => existsSync(join(h, name)));
      expect(engineCgroups(), "the container's cgroups, below the recorded name").to.not.be.empty;
      expect(processesNaming(join(dir, "nodes", "n1", "docker")), "dockerd, data root in the node's dir").to.not.be
        .empty;

      await started.down();
      await sleep(200);
      expect(processesNaming(join(dir, "nodes")), "engine processes left").to.deep.equal([]);
      expect(processesNaming("sleep 86397"), "container processes left").to.deep.equal([]);
      expect(engineCgroups(), "engine cgroups left").to.deep.equal([]);
      expect(existsSync(join(hierarchy, foreign)), "a cgroup the harness did not make").to.equal(true);
      expect(existsSync(dir)).to.equal(false);
    } finally {
      rmdirSync(join(hierarchy, foreign));
    }
  });

  it("refuses to tear down a directory without our marker, and leaves it as it was", async () => {
    const victim = join(root, "netns", "victim");
    await mkdir(victim, { recursive: true });
    await writeFile(join(victim, "precious"), "keep me");
    const error = await provider.down("victim").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InputError);
    expect((error as Error).message)
      .to.contain(victim)
      .and.contain(STATE_MARKER);
    expect(await readFile(join(victim, "precious"), "utf8")).to.equal("keep me");
    // The same directory with the marker is ours: then it goes.
    await writeFile(join(victim, STATE_MARKER), "provider=netns\n");
    await provider.down("victim");
    expect(existsSync(victim)).to.equal(false);
  });

  it("attach logs in with keys of its own, restores a tampered passwd, and removes its keys when it disconnects", async () => {
    const started = await provider.up(lab);
    await started.release();
    const dir = join(root, "netns", lab.name);
    const passwd = join(dir, "passwd");
    const original = await readFile(passwd, "utf8");
    // A planted login shell and a planted config must not be used.
    await writeFile(passwd, original.replace(/^root:.*$/m, "root:x:0:0:root:/root:/usr/bin/false"));
    await writeFile(join(dir, "ssh", "n1", "sshd_config"), "this is not a config\n");
    const attached = await provider.attach(lab);
    const result = await attached.node("n1").shell.exec("hostname", { reject: true });
    expect(result.stdout.trim()).to.equal("n1");
    expect(await readFile(passwd, "utf8")).to.equal(original);
    expect(readdirSync(dir).filter((name) => name.startsWith("attach-"))).to.have.length(1);
    await attached.down();
    expect(readdirSync(dir).filter((name) => name.startsWith("attach-"))).to.deep.equal([]);
    expect(existsSync(dir), "attach's down leaves the lab up").to.equal(true);
  });
});
