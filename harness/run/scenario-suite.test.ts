import { expect } from "chai";
import { ScenarioSchema } from "../scenario/schema.ts";
import { hookTimeoutMs } from "./scenario-suite.ts";

const scenario = (extra: Record<string, unknown>) => ({
  ...ScenarioSchema.parse({
    id: "s",
    title: "t",
    technology: "macvlan",
    source: [{ seed: "001", section: "§1" }],
    lab: "two-hosts",
    goal: "g",
    checks: [{ id: "c", title: "c", hint: "h", ping: { from: "node2", to: "10.0.0.1" } }],
    negative_controls: [
      {
        id: "n",
        title: "n",
        break: [{ node: "node2", run: ["a", "b"], timeout_ms: 100_000 }],
        flips: ["c"],
      },
    ],
    ...extra,
  }),
  file: "s.yaml",
});

describe("a scenario's hook deadline", () => {
  it("is the lab's budget plus the longest list of steps a hook runs, each command at its own deadline", () => {
    // The control's break: two commands of 100 s each; the setup: three of the default 30 s.
    expect(hookTimeoutMs(scenario({ setup: [{ node: "node2", run: ["x", "y", "z"] }] }))).to.equal(180_000 + 200_000);
    expect(
      hookTimeoutMs(scenario({ setup: [{ node: "node2", run: "x", timeout_ms: 600_000 }], cleanup: [] })),
    ).to.equal(180_000 + 600_000);
  });
});
