import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { spawnSshdInetd } from "../../transport/child-duplex.ts";
import { type HostResult, hostExec } from "../host-exec.ts";
import type { LabHost, SshdChannel } from "../namespace-lab/lab-host.ts";

/** This machine, as root: namespaces on the host kernel. */
export class LocalHost implements LabHost {
  readonly description = "host";

  run(argv: readonly string[], options?: { timeoutMs?: number }): Promise<HostResult> {
    return hostExec(argv, options);
  }

  async writeFile(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, { mode });
  }

  async openSshd(argv: readonly string[]): Promise<SshdChannel> {
    const sshd = spawnSshdInetd(argv);
    return { sock: sshd.sock, stderr: () => sshd.stderr(), stop: () => sshd.stop() };
  }
}
