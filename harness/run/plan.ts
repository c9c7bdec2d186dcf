import { InputError } from "../model/errors.ts";
import type { Lab } from "../model/lab.ts";
import type { CapabilityReport, Provider } from "../providers/provider.ts";
import type { Scenario } from "../scenario/schema.ts";

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

/** A provider that is installed here; its capabilities are measured only when a plan asks (uml boots a kernel for it). */
export interface Candidate {
  readonly provider: Provider;
  readonly capabilities: () => Promise<CapabilityReport>;
}

/** The first provider (fastest first) whose measured capabilities cover the scenario's `requires`. */
export async function planScenario(
  scenario: Scenario,
  lab: Lab,
  candidates: readonly Candidate[],
): Promise<ScenarioPlan> {
  const reasons: string[] = [];
  for (const candidate of candidates) {
    const capabilities = await candidate.capabilities();
    const lacking = scenario.requires.filter((c) => !capabilities.has.has(c));
    if (lacking.length === 0) return { scenario, lab, provider: candidate.provider, capabilities };
    reasons.push(
      `${candidate.provider.name}: ${lacking.map((c) => capabilities.absent.get(c) ?? `no ${c}`).join("; ")}`,
    );
  }
  return { scenario, lab, skipReason: reasons.join(" | ") || "no provider is installed (see `macvlab doctor`)" };
}

/**
 * The provider a lab for one scenario must go on (`lab up --for`): the plan's, or bad input saying
 * what each candidate lacks (nothing is made).
 */
export async function providerForScenario(
  scenario: Scenario,
  lab: Lab,
  candidates: readonly Candidate[],
): Promise<Provider> {
  const plan = await planScenario(scenario, lab, candidates);
  if (plan.provider) return plan.provider;
  throw new InputError(
    `no provider here can run ${scenario.id} (it requires ${scenario.requires.join(", ")}): ${plan.skipReason}`,
  );
}
