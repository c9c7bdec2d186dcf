import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { LocalShell } from "../../testing/local-shell.ts";
import { MAX_CONSOLE_COMMAND_BYTES } from "./console-limit.ts";
import { type UmlConsole, umlHost } from "./uml-host.ts";

/** The kernel's console stood in for by this machine's sh (UML's root filesystem is this machine's). */
function fakeMachine(stateDir: string) {
  const shell = new LocalShell();
  const machine = { name: "k", stateDir, shell } as unknown as UmlConsole;
  return { machine, commands: () => shell.calls.map((c) => c.command) };
}

describe("UML kernel as a lab host", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "macvlab-uml-host-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("sends a command longer than the console takes as a script file beside the kernel, then removes it", async () => {
    const { machine, commands } = fakeMachine(dir);
    const word = "x".repeat(MAX_CONSOLE_COMMAND_BYTES + 2000);
    const result = await umlHost(machine).run(["sh", "-c", 'printf %s "$1" | wc -c; printf "%s" "$0"', "it's", word]);
    expect(result).to.deep.equal({ stdout: `${word.length}\nit's`, stderr: "", exitCode: 0 });
    expect(commands()).to.have.length(1);
    expect(commands()[0]?.length).to.be.below(MAX_CONSOLE_COMMAND_BYTES);
    expect(commands()[0]).to.match(new RegExp(`^sh ${dir}/command-[0-9a-f]{12}\\.sh$`));
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it("sends a short command as it is", async () => {
    const { machine, commands } = fakeMachine(dir);
    expect((await umlHost(machine).run(["echo", "short"])).stdout).to.equal("short\n");
    expect(commands()).to.deep.equal(["echo short"]);
  });

  it("writes files from this side (the kernel sees this machine's files): no command crosses the console", async () => {
    const { machine, commands } = fakeMachine(dir);
    const host = umlHost(machine);
    await host.writeFiles([
      { path: join(dir, "ssh", "key"), content: "secret", mode: 0o600 },
      { path: join(dir, "passwd"), content: "root" },
    ]);
    await host.writeFile(join(dir, "marker"), "ours", { mode: 0o600 });
    expect(commands()).to.deep.equal([]);
    expect(await readFile(join(dir, "ssh", "key"), "utf8")).to.equal("secret");
    expect((await stat(join(dir, "ssh", "key"))).mode & 0o777).to.equal(0o600);
    expect((await stat(join(dir, "passwd"))).mode & 0o777).to.equal(0o644);
    const again = await host.writeFile(join(dir, "marker"), "theirs").catch((e: Error) => e);
    expect(again).to.be.instanceOf(Error);
    expect(await readFile(join(dir, "marker"), "utf8")).to.equal("ours");
  });
});
