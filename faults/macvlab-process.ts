import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../harness/model/paths.ts";

const BIN = join(PROJECT_ROOT, "bin", "macvlab.js");
/** What the suite keeps of a run's output: enough for every message it asserts, bounded like everything else. */
const OUTPUT_CAP = 256 * 1024;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** One `macvlab` process under test: its output (stdout and stderr interleaved), a way to resume a failpoint, its exit. */
export class MacvlabProcess {
  private output = "";
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  readonly exited: Promise<Exit>;

  constructor(args: readonly string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, MACVLAB_PROGRESS: "1", ...env },
      stdio: "pipe",
    });
    const collect = (chunk: Buffer) => {
      if (this.output.length < OUTPUT_CAP) this.output += chunk.toString();
      for (const waiter of this.waiters.filter((w) => w.pattern.test(this.output))) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    };
    this.child.stdout.on("data", collect);
    this.child.stderr.on("data", collect);
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code, signal) => resolve({ code, signal, output: this.output })),
    );
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("macvlab did not start");
    return this.child.pid;
  }

  /** Resolves once the output matches; rejects with the output so far after `ms` or when the process ends first. */
  async waitFor(pattern: RegExp, ms: number): Promise<void> {
    if (pattern.test(this.output)) return;
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<void>((resolve) => this.waiters.push({ pattern, resolve }));
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms; output:\n${this.output}`)), ms);
    });
    const ended = this.exited.then((exit) => {
      if (!pattern.test(exit.output))
        throw new Error(`macvlab exited (${exit.code ?? exit.signal}) before ${pattern}; output:\n${exit.output}`);
    });
    try {
      await Promise.race([seen, late, ended]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A failpoint holds the run until a line arrives on stdin. */
  resume(): void {
    this.child.stdin.write("resume\n");
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** Runs macvlab to completion (for reruns and commands that must not hang). */
export function macvlabSync(args: readonly string[], env: Record<string, string>, timeoutMs = 300_000): Exit {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: timeoutMs,
    input: "",
    maxBuffer: OUTPUT_CAP * 4,
  });
  return { code: result.status, signal: result.signal, output: `${result.stdout}${result.stderr}` };
}
