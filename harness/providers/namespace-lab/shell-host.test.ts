import { mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { LocalShell } from "../../testing/local-shell.ts";
import type { Shell } from "../../transport/shell.ts";
import type { SshdChannel } from "./lab-host.ts";
import { ShellHost } from "./shell-host.ts";

describe("ShellHost", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "macvlab-shell-host-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("runs argv word for word, with a 30 s deadline unless given one", async () => {
    const shell = new LocalShell();
    const host = new ShellHost(shell, "test machine");
    const words = ["it's", "$(reboot)", "a b"];
    const result = await host.run(["printf", "%s|", ...words]);
    expect(result).to.deep.equal({ stdout: "it's|$(reboot)|a b|", stderr: "", exitCode: 0 });
    await host.run(["true"], { timeoutMs: 5_000 });
    expect(shell.calls.map((c) => c.timeoutMs)).to.deep.equal([30_000, 5_000]);
  });

  it("keeps the exit code, and reports 124 for a timeout and 128 for a death by signal", async () => {
    const host = new ShellHost(new LocalShell(), "test machine");
    const failed = await host.run(["sh", "-c", "echo oops >&2; exit 3"]);
    expect(failed).to.deep.equal({ stdout: "", stderr: "oops\n", exitCode: 3 });
    expect((await host.run(["sleep", "5"], { timeoutMs: 200 })).exitCode).to.equal(124);
    // The local sh would turn its child's signal into 137: a shell whose command was killed says so directly.
    const killed: Shell = {
      node: "local",
      exec: async (command) => ({
        node: "local",
        command,
        stdout: "",
        stderr: "",
        signal: "SIGKILL",
        durationMs: 0,
        timedOut: false,
        truncated: false,
        killedForOutput: false,
        failed: true,
      }),
      close: async () => {},
    };
    expect((await new ShellHost(killed, "test machine").run(["true"])).exitCode).to.equal(128);
  });

  it("writes binary content with its mode, making the directory", async () => {
    const host = new ShellHost(new LocalShell(), "test machine");
    const path = join(dir, "new dir", "key's file");
    const content = Buffer.from([0, 1, 2, 39, 255, 10]);
    await host.writeFile(path, content, { mode: 0o600 });
    expect(await readFile(path)).to.deep.equal(content);
    expect((await stat(path)).mode & 0o777).to.equal(0o600);
    await host.writeFile(join(dir, "open"), "x");
    expect((await stat(join(dir, "open"))).mode & 0o777).to.equal(0o644);
  });

  it("creates exclusively: never writes over a file or through a planted symlink; `replace` rewrites in place", async () => {
    const host = new ShellHost(new LocalShell(), "test machine");
    const theirs = join(dir, "theirs");
    await writeFile(theirs, "theirs");
    await symlink(theirs, join(dir, "link"));
    for (const path of [theirs, join(dir, "link")]) {
      const error = await host.writeFile(path, "ours").catch((e: Error) => e);
      expect(error?.message).to.contain(`cannot write ${path}`);
    }
    expect(await readFile(theirs, "utf8")).to.equal("theirs");
    const before = (await stat(theirs)).ino;
    await host.writeFile(theirs, "rewritten", { replace: true });
    expect(await readFile(theirs, "utf8")).to.equal("rewritten");
    expect((await stat(theirs)).ino).to.equal(before);
  });

  it("writes many files in one round trip, words as written, each born 0600 then given its mode", async () => {
    const shell = new LocalShell();
    const host = new ShellHost(shell, "test machine");
    const tricky = 'it\'s $(reboot) `id` \\ "q"\nline 2\n';
    const files = [
      { path: join(dir, "a", "key"), content: tricky, mode: 0o600 },
      { path: join(dir, "a", "config"), content: "x" },
      { path: join(dir, "b c", "passwd"), content: "root:x:0:0::/root:/bin/sh\n", mode: 0o640 },
    ];
    await host.writeFiles(files);
    expect(shell.calls).to.have.length(1);
    expect(await readFile(files[0]?.path ?? "", "utf8")).to.equal(tricky);
    const modes = await Promise.all(files.map(async (f) => (await stat(f.path)).mode & 0o777));
    expect(modes).to.deep.equal([0o600, 0o644, 0o640]);
  });

  it("cuts a large batch into scripts that fit one argument, and writes every file", async () => {
    const shell = new LocalShell();
    const host = new ShellHost(shell, "test machine");
    const files = Array.from({ length: 40 }, (_, i) => ({ path: join(dir, `f${i}`), content: `${i}`.repeat(4000) }));
    await host.writeFiles(files);
    expect(shell.calls.length).to.be.greaterThan(1);
    for (const call of shell.calls) expect(call.command.length).to.be.below(128 * 1024);
    for (const [i, f] of files.entries()) expect(await readFile(f.path, "utf8")).to.equal(`${i}`.repeat(4000));
  });

  it("says which machine and file when a write fails", async () => {
    const host = new ShellHost(new LocalShell(), "test machine");
    await host.writeFile(join(dir, "file"), "x");
    const error = await host.writeFile(join(dir, "file", "under-a-file"), "x").then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.match(new RegExp(`^test machine: cannot write ${dir}/file/under-a-file: .+`));
  });

  it("starts sshd only where the provider said how", async () => {
    const channel = { stderr: () => "", stop: () => Promise.resolve() } as unknown as SshdChannel;
    const started: string[][] = [];
    const withSshd = new ShellHost(new LocalShell(), "test machine", async (argv) => {
      started.push([...argv]);
      return channel;
    });
    expect(await withSshd.openSshd(["/usr/sbin/sshd", "-i"])).to.equal(channel);
    expect(started).to.deep.equal([["/usr/sbin/sshd", "-i"]]);
    const without = new ShellHost(new LocalShell(), "test machine");
    const refused = await without.openSshd(["sshd"]).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused?.message).to.equal("test machine: nested sshd is not used by this provider");
  });
});
