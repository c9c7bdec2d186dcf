import { spawn } from "node:child_process";
import { InfrastructureError, InputError } from "../../model/errors.ts";
import { BoundedOutput } from "../../transport/bounded-output.ts";

export interface VagrantResult {
  readonly args: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  readonly timedOut: boolean;
}

export interface VagrantCallOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly timeoutMs: number;
}

/**
 * Runs `vagrant ARGS` with a deadline: on timeout the whole process group (vagrant and the
 * VBoxManage/docker children it started) gets SIGTERM, then SIGKILL. Never throws for a non-zero exit.
 */
export function runVagrant(args: readonly string[], options: VagrantCallOptions): Promise<VagrantResult> {
  return new Promise((resolve) => {
    // vagrant's own logs: long, but bounded by vagrant itself; the head says what it did, the tail why it stopped.
    const stdout = BoundedOutput.headAndTail(1 << 20);
    const stderr = BoundedOutput.headAndTail(1 << 20);
    let timedOut = false;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn("vagrant", [...args], {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      return resolve({ args, stdout: "", stderr: (error as Error).message, exitCode: 127, timedOut });
    }
    child.stdout?.on("data", (c: Buffer) => stdout.append(c));
    child.stderr?.on("data", (c: Buffer) => stderr.append(c));
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        /* already gone */
      }
    };
    let hardKill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      hardKill = setTimeout(() => killGroup("SIGKILL"), 10_000);
    }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      clearTimeout(hardKill);
      resolve({ args, stdout: stdout.text(), stderr: stderr.text() + error.message, exitCode: 127, timedOut });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      clearTimeout(hardKill);
      resolve({ args, stdout: stdout.text(), stderr: stderr.text(), exitCode: code ?? 128, timedOut });
    });
  });
}

/** One line of `--machine-readable` output: `timestamp,target,type,data…` (`%!(VAGRANT_COMMA)` is a comma). */
export interface MachineReadableLine {
  readonly target: string;
  readonly type: string;
  readonly data: readonly string[];
}

export function parseMachineReadable(text: string): MachineReadableLine[] {
  const rows: MachineReadableLine[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [timestamp = "", target = "", type = "", ...data] = line.split(",");
    if (type === "" || !/^\d+$/.test(timestamp)) continue;
    rows.push({ target, type, data: data.map((d) => d.replaceAll("%!(VAGRANT_COMMA)", ",").replaceAll("\\n", "\n")) });
  }
  return rows;
}

/** `vagrant status --machine-readable` → machine name → state (running, not_created, stopped, …). */
export function parseStatus(text: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const row of parseMachineReadable(text))
    if (row.type === "state" && row.target) states.set(row.target, row.data[0] ?? "");
  return states;
}

export interface SshConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly identityFiles: readonly string[];
}

/** `vagrant ssh-config NAME` (OpenSSH client config syntax) → where and how to connect. */
export function parseSshConfig(text: string, machine: string): SshConfig {
  const values = new Map<string, string[]>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [, rawKey, rawValue] = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line) ?? [];
    if (rawKey === undefined || rawValue === undefined) continue;
    const key = rawKey.toLowerCase();
    let value = rawValue.trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  const first = (key: string) => values.get(key)?.[0];
  const host = first("hostname");
  const port = Number(first("port") ?? "22");
  if (!host || !Number.isInteger(port) || port <= 0)
    throw new InfrastructureError(
      `vagrant machine ${machine}: ssh-config has no usable HostName/Port:\n${text.trim()}`,
    );
  return { host, port, user: first("user") ?? "vagrant", identityFiles: values.get("identityfile") ?? [] };
}

/**
 * Turns what a failed vagrant call printed into one line: the cause and the fix. Problems of the
 * user's machine (no VirtualBox, a box that cannot be downloaded, no node image) are InputErrors
 * (exit 2); everything else is the lab being broken (InfrastructureError).
 */
export function vagrantFailure(
  result: VagrantResult,
  context: { what: string; provider: string; timeoutMs: number },
): Error {
  const text = `${result.stderr}\n${result.stdout}`;
  const tail = lastLines(text, 8);
  if (result.exitCode === 127 && /ENOENT|not found/i.test(text))
    return new InputError(
      `vagrant is not installed: install it (Debian: apt-get install -y vagrant; others: https://developer.hashicorp.com/vagrant/install)`,
    );
  if (result.timedOut)
    return new InfrastructureError(
      `${context.what}: vagrant ${result.args.join(" ")} did not finish within ${Math.round(context.timeoutMs / 1000)} s (stopped it); raise MACVLAB_VAGRANT_UP_TIMEOUT_MS if the machines are just slow\n${tail}`,
    );
  if (
    /could not detect VirtualBox|VBoxManage.*not found|VirtualBox is complaining that the installation is incomplete/i.test(
      text,
    )
  )
    return new InputError(
      `${context.what}: VirtualBox is not installed or not usable: install VirtualBox (https://www.virtualbox.org) or choose another backend, e.g. MACVLAB_VAGRANT_PROVIDER=docker`,
    );
  if (/The provider 'libvirt' could not be found/i.test(text))
    return new InputError(
      `${context.what}: the vagrant-libvirt plugin is not installed: vagrant plugin install vagrant-libvirt`,
    );
  if (
    /box '.*' could not be found|could not be accessed in the remote catalog|error occurred while downloading the remote file|The box you're attempting to add/i.test(
      text,
    )
  )
    return new InputError(
      `${context.what}: the Vagrant box cannot be downloaded: check the network, or \`vagrant box add\` one and set MACVLAB_VAGRANT_BOX to it (\`vagrant box list\`)\n${tail}`,
    );
  if (/pull access denied|Unable to find image|repository does not exist|No such image/i.test(text))
    return new InputError(
      `${context.what}: the docker node image is missing: build it with harness/providers/vagrant/node-image/build.sh (or set MACVLAB_NODE_IMAGE)\n${tail}`,
    );
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|permission denied.*docker.sock/i.test(text))
    return new InputError(
      `${context.what}: no Docker engine answers: start dockerd (see harness/providers/vagrant/node-image/engine.sh) and set DOCKER_HOST`,
    );
  return new InfrastructureError(
    `${context.what}: vagrant ${result.args.join(" ")} failed (exit ${result.exitCode})\n${tail}`,
  );
}

function lastLines(text: string, n: number): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-n)
    .map((l) => `  ${l}`)
    .join("\n");
}
