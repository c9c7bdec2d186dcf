import { expect } from "chai";
import type { Capability } from "../model/capabilities.ts";
import { InputError } from "../model/errors.ts";
import { type Lab, LabSchema } from "../model/lab.ts";
import type { CapabilityReport, Provider } from "../providers/provider.ts";
import { type Scenario, ScenarioSchema } from "../scenario/schema.ts";
import { type Candidate, planScenario, providerForScenario } from "./plan.ts";

const labSpec = { name: "one", segments: { lan: {} }, nodes: { a: { nics: [{ name: "eth0", segment: "lan" }] } } };
const lab: Lab = { ...LabSchema.parse(labSpec), file: "labs/one.yaml" };

function scenario(requires: Capability[]): Scenario {
  const spec = ScenarioSchema.parse({
    id: "s",
    title: "S",
    technology: "macvlan",
    source: [{ seed: "001", section: "1" }],
    lab: "one",
    goal: "g",
    requires,
    checks: [{ id: "c", title: "C", hint: "h", sysctl: { node: "a", key: "net.ipv4.ip_forward", value: "1" } }],
    negative_controls: [{ id: "n", title: "N", break: [{ node: "a", run: "true" }], flips: ["c"] }],
  });
  return { ...spec, file: "scenarios/s.yaml" };
}

/** A provider that must never be asked to do anything: planning only reads its name. */
function provider(name: string): Provider {
  const unused = () => Promise.reject(new Error(`${name}: planning must not call this`));
  return {
    name,
    commandCost: 1,
    studentIsolation: () => {
      throw new Error(`${name}: planning must not call this`);
    },
    missingRequirements: unused,
    capabilities: unused,
    up: unused,
    down: unused,
    list: unused,
  };
}

/** A candidate with `has`; every other capability is absent with the reason "<name> lacks <cap>". */
function candidate(name: string, has: Capability[], calls: string[] = []): Candidate {
  const absent = new Map<Capability, string>();
  for (const cap of ["macvlan", "8021q", "ipvlan", "tcpdump"] as const) {
    if (!has.includes(cap)) absent.set(cap, `${name} lacks ${cap}`);
  }
  const report: CapabilityReport = { provider: name, kernel: "6.1", has: new Set(has), absent };
  return {
    provider: provider(name),
    capabilities: async () => {
      calls.push(name);
      return report;
    },
  };
}

describe("planScenario", () => {
  it("picks the first candidate whose capabilities cover `requires`, with its report", async () => {
    const candidates = [candidate("netns", ["macvlan"]), candidate("uml", ["macvlan", "8021q"])];
    const plan = await planScenario(scenario(["macvlan", "8021q"]), lab, candidates);
    expect(plan.provider?.name).to.equal("uml");
    expect(plan.capabilities?.provider).to.equal("uml");
    expect(plan.skipReason).to.equal(undefined);
    expect(plan.lab).to.equal(lab);
  });

  it("keeps the candidates' order (fastest first) when several fit", async () => {
    const both = ["macvlan", "8021q"] satisfies Capability[];
    const plan = await planScenario(scenario(["macvlan"]), lab, [candidate("netns", both), candidate("uml", both)]);
    expect(plan.provider?.name).to.equal("netns");
  });

  it("takes the first candidate for a scenario that requires nothing", async () => {
    const plan = await planScenario(scenario([]), lab, [candidate("netns", []), candidate("uml", ["macvlan"])]);
    expect(plan.provider?.name).to.equal("netns");
  });

  it("measures capabilities lazily: a later candidate is not asked once one fits", async () => {
    const calls: string[] = [];
    const candidates = [
      candidate("netns", [], calls),
      candidate("uml", ["ipvlan"], calls),
      candidate("vagrant", ["ipvlan"], calls),
    ];
    await planScenario(scenario(["ipvlan"]), lab, candidates);
    expect(calls).to.deep.equal(["netns", "uml"]);
  });

  it("skips with each provider's missing capabilities, in the report's own words", async () => {
    const candidates = [candidate("netns", ["macvlan"]), candidate("uml", ["8021q"])];
    const plan = await planScenario(scenario(["macvlan", "8021q", "ipvlan"]), lab, candidates);
    expect(plan.provider).to.equal(undefined);
    expect(plan.capabilities).to.equal(undefined);
    expect(plan.skipReason).to.equal(
      "netns: netns lacks 8021q; netns lacks ipvlan | uml: uml lacks macvlan; uml lacks ipvlan",
    );
  });

  it("says `no <capability>` when a report gives no reason for a missing one", async () => {
    const bare: Candidate = {
      provider: provider("netns"),
      capabilities: async () => ({ provider: "netns", kernel: "6.1", has: new Set(), absent: new Map() }),
    };
    const plan = await planScenario(scenario(["tcpdump"]), lab, [bare]);
    expect(plan.skipReason).to.equal("netns: no tcpdump");
  });

  it("points at `macvlab doctor` when no provider is installed", async () => {
    const plan = await planScenario(scenario(["macvlan"]), lab, []);
    expect(plan.provider).to.equal(undefined);
    expect(plan.skipReason).to.include("macvlab doctor");
  });
});

describe("providerForScenario (`lab up --for`)", () => {
  it("is the plan's provider: a VLAN exercise goes where 8021q is", async () => {
    const candidates = [candidate("netns", ["macvlan"]), candidate("uml", ["macvlan", "8021q"])];
    expect((await providerForScenario(scenario(["8021q"]), lab, candidates)).name).to.equal("uml");
  });

  it("is bad input, saying what each candidate lacks, where none can run the scenario", async () => {
    const candidates = [candidate("netns", ["macvlan"])];
    const error = await providerForScenario(scenario(["8021q"]), lab, candidates).catch((e: Error) => e);
    expect(error).to.be.instanceOf(InputError);
    expect((error as Error).message).to.equal(
      "no provider here can run s (it requires 8021q): netns: netns lacks 8021q",
    );
  });
});
