import type { LabNode } from "../providers/provider.ts";
import { CommandError } from "../transport/command-error.ts";
import type { ShellResult } from "../transport/shell.ts";
import { progress } from "./progress.ts";
import type { Recorder } from "./recorder.ts";

export interface RecordOptions {
  readonly timeoutMs?: number;
  /** Throw (and mark the step failed) when the command fails. */
  readonly mustSucceed?: boolean;
  /** Shown in the step name instead of the command (the command is still attached). */
  readonly label?: string;
}

/** Runs one command on a node as a recorded step, with stdout, stderr and exit status attached. */
export async function recordedExec(
  recorder: Recorder,
  node: LabNode,
  command: string,
  options: RecordOptions = {},
): Promise<ShellResult> {
  progress(`  ${node.name}$ ${options.label ?? command}`);
  return recorder.step(`${node.name}$ ${options.label ?? command}`, async (step) => {
    const result = await node.shell.exec(command, { timeoutMs: options.timeoutMs ?? 30_000 });
    await step.parameter("exit", exitDescription(result));
    if (result.truncated) await step.parameter("output", "truncated: head and tail kept (MACVLAB_OUTPUT_CAP_BYTES)");
    await step.parameter("duration", `${result.durationMs} ms`);
    if (options.label) await recorder.attach("command", command, "text/plain");
    if (result.stdout) await recorder.attach("stdout", result.stdout, "text/plain");
    if (result.stderr) await recorder.attach("stderr", result.stderr, "text/plain");
    if (options.mustSucceed && result.failed) throw new CommandError(result);
    return result;
  });
}

function exitDescription(result: ShellResult): string {
  if (result.killedForOutput) return "killed: output far over the cap";
  return result.timedOut ? "timed out" : String(result.exitCode ?? result.signal);
}
