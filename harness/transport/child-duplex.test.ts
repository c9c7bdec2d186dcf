import { spawn } from "node:child_process";
import { once } from "node:events";
import { expect } from "chai";
import { duplexFromChild, spawnSshdInetd } from "./child-duplex.ts";

describe("duplexFromChild", () => {
  it("reads the child's stdout and writes its stdin", async () => {
    const child = spawn("cat", [], { stdio: ["pipe", "pipe", "inherit"] });
    const duplex = duplexFromChild(child);
    const chunks: Buffer[] = [];
    duplex.on("data", (chunk: Buffer) => chunks.push(chunk));
    duplex.end("hello");
    await once(duplex, "close");
    expect(Buffer.concat(chunks).toString()).to.equal("hello");
  });

  it("closes without an error (and without crashing) on EPIPE", async () => {
    // The child closes its stdin but lives on: our writes hit EPIPE while nothing else has ended.
    const child = spawn("sh", ["-c", "exec 0<&-; sleep 5"], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      const duplex = duplexFromChild(child);
      const errors: Error[] = [];
      duplex.on("error", (error) => errors.push(error));
      const closed = once(duplex, "close");
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (let i = 0; i < 50; i++) duplex.write(Buffer.alloc(64 * 1024));
      await closed;
      expect(errors).to.deep.equal([]);
      expect(child.exitCode).to.equal(null); // closed because of EPIPE, not because the child ended
    } finally {
      child.kill();
    }
  });

  it("closes once the child has exited", async () => {
    const child = spawn("true", [], { stdio: ["pipe", "pipe", "inherit"] });
    const duplex = duplexFromChild(child);
    await once(duplex, "close");
    expect(child.exitCode).to.equal(0);
  });
});

describe("spawnSshdInetd", () => {
  it("keeps only the tail of stderr", async () => {
    const sshd = spawnSshdInetd(["sh", "-c", "head -c 40000 /dev/zero | tr '\\0' x >&2; echo END >&2"], {
      stderrLimitBytes: 100,
    });
    await once(sshd.sock, "close");
    expect(sshd.stderr()).to.equal(`… 39904 bytes cut …\n${"x".repeat(96)}END\n`);
    expect(sshd.diagnostics()).to.equal(
      `sh exited with code 0; its stderr:\n… 39904 bytes cut …\n${"x".repeat(96)}END`,
    );
  });

  it("reports a program that cannot be started through the stream and diagnostics", async () => {
    const sshd = spawnSshdInetd(["/nonexistent/sshd", "-i"]);
    const [error] = (await once(sshd.sock, "error")) as [NodeJS.ErrnoException];
    expect(error.code).to.equal("ENOENT");
    await sshd.stop();
    expect(sshd.diagnostics()).to.match(/could not be started/);
  });

  it("stop() ends the process and may be called twice", async () => {
    const sshd = spawnSshdInetd(["sleep", "30"]);
    await Promise.all([sshd.stop(), sshd.stop()]);
    expect(sshd.child.signalCode).to.equal("SIGTERM");
    await sshd.stop();
  });
});
