import { constants } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { spawnSshdInetd } from "../../transport/child-duplex.ts";
import { type HostResult, hostExec } from "../host-exec.ts";
import type { LabHost, SshdChannel, WriteFileOptions } from "../namespace-lab/lab-host.ts";

/** This machine, as root: namespaces on the host kernel. */
export class LocalHost implements LabHost {
  readonly description = "host";

  run(argv: readonly string[], options?: { timeoutMs?: number }): Promise<HostResult> {
    return hostExec(argv, options);
  }

  async writeFile(path: string, content: string | Buffer, options: WriteFileOptions = {}): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const mode = options.mode ?? 0o644;
    // In place, but never through a symlink: a link planted in the state dir must not redirect the write.
    const flags = options.replace ? constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW : "wx";
    const file = await open(path, flags, mode);
    try {
      await file.writeFile(content);
      // Only adds back what the umask took from a new file: never more than `mode`.
      if (!options.replace) await file.chmod(mode);
    } finally {
      await file.close();
    }
  }

  async openSshd(argv: readonly string[]): Promise<SshdChannel> {
    const sshd = spawnSshdInetd(argv);
    return { sock: sshd.sock, stderr: () => sshd.stderr(), stop: () => sshd.stop() };
  }
}
