import * as allure from "allure-js-commons";
import type { LabNode } from "../providers/provider.ts";
import { CommandError } from "../transport/command-error.ts";
import type { ShellResult } from "../transport/shell.ts";
import { progress } from "./progress.ts";

export interface RecordOptions {
  readonly timeoutMs?: number;
  /** Throw (and mark the step failed) when the command fails. */
  readonly mustSucceed?: boolean;
  /** Shown in the step name instead of the command (the command is still attached). */
  readonly label?: string;
}

/** Runs one command on a node as an Allure step, with stdout, stderr and exit status attached. */
export async function recordedExec(node: LabNode, command: string, options: RecordOptions = {}): Promise<ShellResult> {
  progress(`  ${node.name}$ ${options.label ?? command}`);
  return allure.step(`${node.name}$ ${options.label ?? command}`, async (step) => {
    const result = await node.shell.exec(command, { timeoutMs: options.timeoutMs ?? 30_000 });
    await step.parameter("exit", result.timedOut ? "timed out" : String(result.exitCode ?? result.signal));
    await step.parameter("duration", `${result.durationMs} ms`);
    if (options.label) await allure.attachment("command", command, "text/plain");
    if (result.stdout) await allure.attachment("stdout", result.stdout, "text/plain");
    if (result.stderr) await allure.attachment("stderr", result.stderr, "text/plain");
    if (options.mustSucceed && result.failed) throw new CommandError(result);
    return result;
  });
}

/** The documents' "containers": a command inside a namespace on the node. */
export function inNetns(netns: string | undefined, command: string): string {
  return netns ? `ip netns exec ${netns} ${command}` : command;
}
