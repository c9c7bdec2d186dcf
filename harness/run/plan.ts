import type { Lab } from "../model/lab.ts";
import type { Scenario } from "../model/scenario.ts";
import type { CapabilityReport, Provider } from "../providers/provider.ts";

/** One scenario, the lab it needs, and where it runs (or why it cannot). Decided before anything starts. */
export interface ScenarioPlan {
  readonly scenario: Scenario;
  readonly lab: Lab;
  readonly provider?: Provider;
  readonly capabilities?: CapabilityReport;
  readonly skipReason?: string;
  /** `--break ID`: apply that negative control right after setup, so the flipped checks go red. */
  readonly breakControl?: string;
}

/** The first provider (fastest first) whose measured capabilities cover the scenario's `requires`. */
export function planScenario(scenario: Scenario, lab: Lab, candidates: ReadonlyArray<{ provider: Provider; capabilities: CapabilityReport }>): ScenarioPlan {
  const reasons: string[] = [];
  for (const { provider, capabilities } of candidates) {
    const lacking = scenario.requires.filter((c) => !capabilities.has.has(c));
    if (lacking.length === 0) return { scenario, lab, provider, capabilities };
    reasons.push(`${provider.name}: ${lacking.map((c) => capabilities.absent.get(c) ?? `no ${c}`).join("; ")}`);
  }
  return { scenario, lab, skipReason: reasons.join(" | ") || "no provider available" };
}
