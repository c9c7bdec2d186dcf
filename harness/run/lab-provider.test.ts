import { expect } from "chai";
import type { Capability } from "../model/capabilities.ts";
import { type Lab, LabSchema } from "../model/lab.ts";
import type { Provider } from "../providers/provider.ts";
import { type Scenario, ScenarioSchema } from "../scenario/schema.ts";
import { chooseLabProvider } from "./labs.ts";

const labSpec = { name: "trunk", segments: { lan: {} }, nodes: { a: { nics: [{ name: "eth0", segment: "lan" }] } } };
const lab: Lab = { ...LabSchema.parse(labSpec), file: "labs/trunk.yaml" };

function scenario(requires: Capability[]): Scenario {
  const spec = ScenarioSchema.parse({
    id: "vlan-exercise",
    title: "S",
    technology: "802.1q",
    source: [{ seed: "002", section: "1" }],
    lab: "trunk",
    goal: "g",
    requires,
    checks: [{ id: "c", title: "C", hint: "h", sysctl: { node: "a", key: "net.ipv4.ip_forward", value: "1" } }],
    negative_controls: [{ id: "n", title: "N", break: [{ node: "a", run: "true" }], flips: ["c"] }],
  });
  return { ...spec, file: "scenarios/vlan-exercise.yaml" };
}

/** A provider with the capabilities `has`; `attach` only where the lab outlives a command. */
function provider(name: string, has: Capability[], options: { attach?: boolean; missing?: string } = {}): Provider {
  const unused = () => Promise.reject(new Error(`${name}: choosing must not call this`));
  return {
    name,
    commandCost: 1,
    studentIsolation: () => ({ isolates: false, why: "" }),
    missingRequirements: async () => (options.missing ? [{ what: options.missing, install: "apt-get" }] : []),
    capabilities: async () => ({
      provider: name,
      kernel: "6.1",
      has: new Set(has),
      absent: new Map<Capability, string>(has.includes("8021q") ? [] : [["8021q", `${name} kernel has no 8021q`]]),
    }),
    up: unused,
    down: unused,
    list: unused,
    ...(options.attach === false ? {} : { attach: unused }),
  };
}

describe("where `lab up` puts a lab", () => {
  const netns = provider("netns", ["macvlan"]);
  const uml = provider("uml", ["macvlan", "8021q"]);

  it("for a scenario, the first provider that can attach and has every capability it requires", async () => {
    const chosen = await chooseLabProvider("auto", [netns, uml], scenario(["8021q", "macvlan"]), lab);
    expect(chosen.name).to.equal("uml");
  });

  it("takes a provider named with --provider as given, without measuring it", async () => {
    const unmeasured: Provider = { ...netns, capabilities: () => Promise.reject(new Error("measured")) };
    const chosen = await chooseLabProvider("netns", [unmeasured], scenario(["8021q"]), lab);
    expect(chosen.name).to.equal("netns");
  });

  it("without a scenario, or for one that requires nothing, the first that can attach", async () => {
    expect((await chooseLabProvider("auto", [netns, uml], undefined, lab)).name).to.equal("netns");
    expect((await chooseLabProvider("auto", [netns, uml], scenario([]), lab)).name).to.equal("netns");
    const vagrantLike = provider("vm", ["8021q"], { attach: false });
    expect((await chooseLabProvider("auto", [vagrantLike, netns], undefined, lab)).name).to.equal("netns");
  });

  it("refuses, saying what each provider lacks, where none can run the scenario", async () => {
    const notInstalled = provider("uml", ["8021q"], { missing: "User-Mode Linux kernel" });
    const error = await chooseLabProvider("auto", [netns, notInstalled], scenario(["8021q"]), lab).catch(
      (e: Error) => e,
    );
    expect((error as Error).message).to.equal(
      "no provider here can run vlan-exercise (it requires 8021q): uml: not installed (User-Mode Linux kernel) | netns: netns kernel has no 8021q",
    );
  });
});
