import { spawnSshdInetd } from "../../transport/child-duplex.ts";
import { type HostResult, hostExec } from "../host-exec.ts";
import { writeHostFile, writeHostFiles } from "../host-files.ts";
import type { FileToWrite, LabHost, SshdChannel, WriteFileOptions } from "../namespace-lab/lab-host.ts";

/** This machine, as root: namespaces on the host kernel. */
export class LocalHost implements LabHost {
  readonly description = "host";

  run(argv: readonly string[], options?: { timeoutMs?: number }): Promise<HostResult> {
    return hostExec(argv, options);
  }

  writeFile(path: string, content: string | Buffer, options: WriteFileOptions = {}): Promise<void> {
    return writeHostFile(path, content, options);
  }

  writeFiles(files: readonly FileToWrite[]): Promise<void> {
    return writeHostFiles(files);
  }

  async openSshd(argv: readonly string[]): Promise<SshdChannel> {
    const sshd = spawnSshdInetd(argv);
    return { sock: sshd.sock, stderr: () => sshd.stderr(), stop: () => sshd.stop() };
  }
}
