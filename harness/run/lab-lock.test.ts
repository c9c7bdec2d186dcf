import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { PROJECT_ROOT } from "../model/paths.ts";
import { LabBusyError, lockLab, releaseLocks } from "./lab-lock.ts";

describe("lab locks", () => {
  let root: string;
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.MACVLAB_STATE_DIR;
    root = mkdtempSync(join(tmpdir(), "macvlab-lock-"));
    process.env.MACVLAB_STATE_DIR = root;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.MACVLAB_STATE_DIR;
    else process.env.MACVLAB_STATE_DIR = saved;
    rmSync(root, { recursive: true, force: true });
  });

  const busy = async (promise: Promise<unknown>): Promise<LabBusyError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(LabBusyError);
    return error as LabBusyError;
  };

  it("refuses a second exclusive holder at once, naming the first by pid and command line", async () => {
    const first = await lockLab({ provider: "netns", lab: "two-hosts", mode: "exclusive" });
    const error = await busy(lockLab({ provider: "netns", lab: "two-hosts", mode: "exclusive" }));
    expect(error.message).to.match(
      new RegExp(
        `^lab two-hosts is in use by pid ${process.pid}: macvlab .*\\(exclusive lock on the netns lab, process started \\d{4}-`,
      ),
    );
    await first.release();
    const again = await lockLab({ provider: "netns", lab: "two-hosts", mode: "exclusive" });
    await again.release();
  });

  it("lets shared holders in together, and keeps an exclusive one out while any is there", async () => {
    const a = await lockLab({ provider: "netns", lab: "routed", mode: "shared" });
    const b = await lockLab({ provider: "netns", lab: "routed", mode: "shared" });
    await busy(lockLab({ provider: "netns", lab: "routed", mode: "exclusive" }));
    await a.release();
    await busy(lockLab({ provider: "netns", lab: "routed", mode: "exclusive" }));
    await b.release();
    await (await lockLab({ provider: "netns", lab: "routed", mode: "exclusive" })).release();
  });

  it("keeps labs and providers apart: another lab or the same lab on another provider is free", async () => {
    const held = await lockLab({ provider: "netns", lab: "two-hosts", mode: "exclusive" });
    const other = await lockLab({ provider: "netns", lab: "routed", mode: "exclusive" });
    const uml = await lockLab({ provider: "uml", lab: "two-hosts", mode: "exclusive" });
    await releaseLocks([held, other, uml]);
  });

  it("with wait, waits for the holder instead of failing", async () => {
    const first = await lockLab({ provider: "netns", lab: "trunk", mode: "exclusive" });
    let acquired = false;
    const second = lockLab({ provider: "netns", lab: "trunk", mode: "exclusive", wait: true }).then((l) => {
      acquired = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(acquired, "acquired while held").to.equal(false);
    await first.release();
    await (await second).release();
    expect(acquired).to.equal(true);
  });

  it("is freed by the kernel when its holder is killed with SIGKILL (no stale lock), and its owner file is dropped", async function () {
    this.timeout(20_000);
    const holder = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `const { lockLab } = await import(${JSON.stringify(join(PROJECT_ROOT, "harness/run/lab-lock.ts"))});
         await lockLab({ provider: "netns", lab: "two-hosts", mode: "exclusive" });
         console.log("held");
         setInterval(() => {}, 1000);`,
      ],
      { env: { ...process.env, MACVLAB_STATE_DIR: root }, stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
    const error = await busy(lockLab({ provider: "netns", lab: "two-hosts", mode: "exclusive" }));
    expect(error.message).to.include(`pid ${holder.pid}`);
    holder.kill("SIGKILL");
    await new Promise((r) => holder.once("exit", r));
    // `cat` sees EOF once the holder's end of the pipe is gone; give it a moment to exit.
    let lock: Awaited<ReturnType<typeof lockLab>> | undefined;
    for (let i = 0; i < 50 && !lock; i++)
      lock = await lockLab({ provider: "netns", lab: "two-hosts", mode: "exclusive" }).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    expect(lock, "lock still held after its holder was killed").to.not.equal(undefined);
    const owners = readdirSync(join(root, "locks", "netns")).filter((f) => f.endsWith(".owner"));
    expect(owners).to.deep.equal([`two-hosts.${process.pid}.owner`]);
    await lock?.release();
  });

  it("lives outside the labs' state dirs, which teardown deletes and list() reads", async () => {
    const lock = await lockLab({ provider: "netns", lab: "two-hosts", mode: "exclusive" });
    expect(readdirSync(root)).to.deep.equal(["locks"]);
    await lock.release();
    expect(readdirSync(join(root, "locks", "netns"))).to.deep.equal(["two-hosts.lock"]);
  });
});
