import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { InfrastructureError, InputError } from "../model/errors.ts";
import { createMarkedDir, removeMarkedDir, STATE_MARKER } from "./state-marker.ts";
import { UmlProvider } from "./uml/uml-provider.ts";
import { VagrantProvider } from "./vagrant/vagrant-provider.ts";

describe("state dir marker", () => {
  let root: string;
  let previous: string | undefined;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "macvlab-marker-"));
    previous = process.env.MACVLAB_STATE_DIR;
    process.env.MACVLAB_STATE_DIR = root;
  });
  afterEach(async () => {
    if (previous === undefined) delete process.env.MACVLAB_STATE_DIR;
    else process.env.MACVLAB_STATE_DIR = previous;
    await rm(root, { recursive: true, force: true });
  });

  /** A directory that looks like a lab's state but is someone else's. */
  async function victim(provider: string, lab: string): Promise<string> {
    const dir = join(root, provider, lab);
    await mkdir(join(dir, "kernel"), { recursive: true });
    await writeFile(join(dir, "precious"), "keep me");
    // A pid file in it must not be believed either.
    await writeFile(join(dir, "kernel", "uml.pid"), JSON.stringify({ pid: 1, startTime: 1, cmdline: ["x"] }));
    return dir;
  }

  it("createMarkedDir makes a 0700 directory with a 0600 marker naming provider, lab and path", async () => {
    const dir = join(root, "uml", "lab1");
    await createMarkedDir(dir, { provider: "uml", lab: "lab1" });
    expect((await stat(dir)).mode & 0o777).to.equal(0o700);
    expect((await stat(join(root, "uml"))).mode & 0o777).to.equal(0o700);
    expect((await stat(join(dir, STATE_MARKER))).mode & 0o777).to.equal(0o600);
    const text = await readFile(join(dir, STATE_MARKER), "utf8");
    expect(text).to.contain("provider=uml\n").and.contain("lab=lab1\n").and.contain(`dir=${dir}\n`);
    expect(await createMarkedDir(dir, { provider: "uml", lab: "lab1" }).catch((e: unknown) => e)).to.be.instanceOf(
      InfrastructureError,
    );
    await removeMarkedDir(dir);
    expect(existsSync(dir)).to.equal(false);
  });

  it("removeMarkedDir refuses a directory without the marker, or with a symlink for one", async () => {
    const dir = await victim("uml", "x");
    const error = await removeMarkedDir(dir).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InputError);
    expect((error as Error).message)
      .to.contain(dir)
      .and.contain(STATE_MARKER);
    await writeFile(join(root, "elsewhere"), "");
    await symlink(join(root, "elsewhere"), join(dir, STATE_MARKER));
    expect(await removeMarkedDir(dir).catch((e: unknown) => e)).to.be.instanceOf(InputError);
    expect(await readFile(join(dir, "precious"), "utf8")).to.equal("keep me");
    await removeMarkedDir(join(root, "absent")); // nothing there: nothing to refuse
  });

  for (const [name, make] of [
    ["uml", () => new UmlProvider({ memMb: 64, bootTimeoutMs: 1000 })],
    [
      "vagrant",
      () => new VagrantProvider({ backend: "docker", upTimeoutMs: 1000, callTimeoutMs: 1000, sshTimeoutMs: 1000 }),
    ],
  ] as const) {
    it(`${name}: down refuses an unmarked state dir and leaves it as it was`, async () => {
      const dir = await victim(name, "victim");
      const error = await make()
        .down("victim")
        .catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message).to.contain(dir);
      expect(await readFile(join(dir, "precious"), "utf8")).to.equal("keep me");
      expect(existsSync(join(dir, "kernel", "uml.pid"))).to.equal(true);
    });
  }
});
