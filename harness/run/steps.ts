import type { StartedLab } from "../providers/provider.ts";
import { commandsOf, isCommandStep, type StepSpec } from "../scenario/schema.ts";
import type { ShellResult } from "../transport/shell.ts";
import { progress } from "./progress.ts";
import { recordedExec } from "./recorded-exec.ts";
import type { Recorder } from "./recorder.ts";

export interface StepOptions {
  readonly recorder: Recorder;
  /** Cleanup keeps going past a failed command: the lab's teardown removes the rest anyway. */
  readonly tolerateFailures?: boolean;
}

/** Runs steps in order; a command that must succeed and fails stops the list (the lab is broken). */
export async function runSteps(
  lab: StartedLab,
  steps: readonly StepSpec[],
  outcomes: Map<string, ShellResult>,
  options: StepOptions,
): Promise<void> {
  const { recorder } = options;
  for (const step of steps) {
    if (!isCommandStep(step)) {
      const { node, nic, hairpin, link } = step.switch_port;
      const settings = [hairpin === undefined ? "" : `hairpin ${hairpin ? "on" : "off"}`, link ? `link ${link}` : ""];
      const name = `switch port of ${node}/${nic}: ${settings.filter(Boolean).join(", ")}`;
      progress(`  ${name}`);
      await recorder.step(name, () =>
        lab.setSwitchPort(node, nic, {
          ...(hairpin === undefined ? {} : { hairpin }),
          ...(link ? { link } : {}),
        }),
      );
      continue;
    }
    const node = lab.node(step.node);
    for (const command of commandsOf(step)) {
      try {
        const result = await recordedExec(recorder, node, command, {
          timeoutMs: step.timeout_ms,
          mustSucceed: !step.expect_failure,
        });
        if (step.id) outcomes.set(step.id, result);
      } catch (error) {
        if (!options.tolerateFailures) throw error;
      }
    }
  }
}
