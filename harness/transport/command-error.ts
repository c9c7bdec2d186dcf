import { MacvlabError } from "../model/errors.ts";
import { OUTPUT_CAP_ENV, OUTPUT_KILL_FACTOR } from "./bounded-output.ts";
import type { ShellResult } from "./shell.ts";

/** Longest stdout/stderr excerpt put into the message; the full text stays on `result`. */
const MAX_OUTPUT_IN_MESSAGE = 4000;

/**
 * A command run with `reject: true` failed (non-zero exit, signal or timeout). Execa-style:
 * `shortMessage` is one line for reports; `message` adds stderr and stdout.
 * Kind "infrastructure": a setup command failing means the lab is broken, not the network.
 */
export class CommandError extends MacvlabError {
  readonly result: ShellResult;
  readonly shortMessage: string;

  constructor(result: ShellResult, options?: { timeoutMs?: number }) {
    const shortMessage = `${describeFailure(result, options?.timeoutMs)} on ${result.node}: ${result.command}`;
    super("infrastructure", [shortMessage, excerpt(result.stderr), excerpt(result.stdout)].filter(Boolean).join("\n"));
    this.result = result;
    this.shortMessage = shortMessage;
  }
}

function describeFailure(result: ShellResult, timeoutMs: number | undefined): string {
  if (result.killedForOutput)
    return `Command was killed: its output went past ${OUTPUT_KILL_FACTOR}× the output cap (${OUTPUT_CAP_ENV})`;
  if (result.timedOut) return timeoutMs === undefined ? "Command timed out" : `Command timed out after ${timeoutMs} ms`;
  if (result.signal) return `Command was killed with ${result.signal}`;
  if (result.exitCode !== undefined) return `Command failed with exit code ${result.exitCode}`;
  return "Command ended without an exit status";
}

function excerpt(text: string): string {
  const trimmed = text.trimEnd();
  return trimmed.length > MAX_OUTPUT_IN_MESSAGE ? `…${trimmed.slice(-MAX_OUTPUT_IN_MESSAGE)}` : trimmed;
}
