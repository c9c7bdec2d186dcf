import type { ProbeEnv, StepOutcome } from "../checks/check-kind.ts";
import type { ShellResult } from "../transport/shell.ts";

type Answer = Partial<ShellResult>;

export interface FakeProbeEnv {
  readonly env: ProbeEnv;
  /** "node: command", in the order the kind ran them. */
  readonly ran: string[];
  /** The options of each exec, in the same order. */
  readonly options: Array<{ readonly timeoutMs?: number; readonly label?: string } | undefined>;
  readonly attached: Array<{ readonly name: string; readonly content: string | Buffer; readonly contentType: string }>;
  readonly slept: number[];
  /** How often the kind made the check's change. */
  readonly acted: number[];
}

/**
 * A lab for a check kind's probe: every command gets `answer` (or what `answer(node, command)` says), exit 0
 * with empty output unless told otherwise; everything the kind did is recorded.
 */
export function fakeProbeEnv(
  answer: Answer | ((node: string, command: string) => Answer) = {},
  steps: Record<string, StepOutcome> = {},
): FakeProbeEnv {
  const ran: FakeProbeEnv["ran"] = [];
  const options: FakeProbeEnv["options"] = [];
  const attached: FakeProbeEnv["attached"] = [];
  const slept: FakeProbeEnv["slept"] = [];
  const acted: FakeProbeEnv["acted"] = [];
  const env: ProbeEnv = {
    exec: async (node, command, execOptions) => {
      ran.push(`${node}: ${command}`);
      options.push(execOptions);
      return shellResult(node, command, typeof answer === "function" ? answer(node, command) : answer);
    },
    attach: async (name, content, contentType) => void attached.push({ name, content, contentType }),
    stepResult: (id) => steps[id],
    sleep: async (ms) => void slept.push(ms),
    act: async () => void acted.push(ran.length),
  };
  return { env, ran, options, attached, slept, acted };
}

/** A command's result as a node would give it: exit 0 with empty output unless `given` says otherwise. */
export function shellResult(node: string, command: string, given: Answer = {}): ShellResult {
  const exitCode = "exitCode" in given ? given.exitCode : 0;
  return {
    node,
    command,
    stdout: "",
    stderr: "",
    durationMs: 1,
    timedOut: false,
    truncated: false,
    killedForOutput: false,
    failed: exitCode !== 0,
    exitCode,
    ...given,
  };
}

/** The error a promise rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}
