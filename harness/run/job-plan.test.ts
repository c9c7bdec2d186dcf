import { PassThrough } from "node:stream";
import { expect } from "chai";
import { InputError } from "../model/errors.ts";
import { type Lab, LabSchema } from "../model/lab.ts";
import type { Provider } from "../providers/provider.ts";
import { type Scenario, ScenarioSchema } from "../scenario/schema.ts";
import { dispatchOrder, estimatedCost, jobCount, parseJobs } from "./job-plan.ts";
import { printInBlocks } from "./job-pool.ts";
import { SCENARIO_END } from "./job-protocol.ts";
import type { ScenarioPlan } from "./plan.ts";

/** A small deterministic generator (mulberry32): the property runs are the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("jobCount and dispatchOrder (--jobs)", () => {
  it("never gives more jobs than asked or than plans that cost something; a skip gets no job of its own", () => {
    const next = random(7);
    for (let round = 0; round < 500; round++) {
      const costs = Array.from({ length: Math.floor(next() * 30) }, () =>
        next() < 0.2 ? 0 : 1 + Math.floor(next() * 99),
      );
      const jobs = 1 + Math.floor(next() * 8);
      const count = jobCount(costs, jobs, (c) => c);
      expect(count).to.be.at.least(1);
      expect(count).to.be.at.most(jobs);
      expect(count).to.be.at.most(Math.max(1, costs.filter((c) => c > 0).length));
    }
    expect(jobCount([5, 0, 0], 4, (c) => c)).to.equal(1);
    expect(jobCount([], 4, (c: number) => c)).to.equal(1);
    expect(jobCount([5, 3, 0], 4, (c) => c)).to.equal(2);
  });

  it("hands every plan out exactly once, costliest first, ties in the given order, the same way every time", () => {
    const next = random(11);
    for (let round = 0; round < 500; round++) {
      const plans = Array.from({ length: Math.floor(next() * 30) }, (_, index) => ({
        index,
        cost: Math.floor(next() * 10),
      }));
      const order = dispatchOrder(plans, (p) => p.cost);
      expect(order.map((p) => p.index).sort((a, b) => a - b)).to.deep.equal(plans.map((p) => p.index));
      for (let i = 1; i < order.length; i++) {
        const [before, after] = [order[i - 1], order[i]] as [(typeof plans)[0], (typeof plans)[0]];
        expect(before.cost > after.cost || (before.cost === after.cost && before.index < after.index)).to.equal(true);
      }
      expect(dispatchOrder(plans, (p) => p.cost)).to.deep.equal(order);
    }
  });
});

describe("estimatedCost", () => {
  const lab: Lab = {
    ...LabSchema.parse({
      name: "one",
      segments: { lan: {} },
      nodes: { a: { nics: [{ name: "eth0", segment: "lan" }] }, b: { nics: [{ name: "eth0", segment: "lan" }] } },
    }),
    file: "labs/one.yaml",
  };
  const scenario: Scenario = {
    ...ScenarioSchema.parse({
      id: "s",
      title: "S",
      technology: "macvlan",
      source: [{ seed: "001", section: "1" }],
      lab: "one",
      goal: "g",
      checks: [
        { id: "c", title: "C", hint: "h", sysctl: { node: "a", key: "net.ipv4.ip_forward", value: "1" } },
        { id: "d", title: "D", hint: "h", sysctl: { node: "b", key: "net.ipv4.ip_forward", value: "1" } },
      ],
      negative_controls: [{ id: "n", title: "N", break: [{ node: "a", run: "true" }], flips: ["c"] }],
    }),
    file: "scenarios/s.yaml",
  };
  const provider = (name: string) => ({ name, commandCost: { netns: 1, uml: 4, vagrant: 8 }[name] ?? 1 }) as Provider;

  it("is nothing for a skipped scenario, more on uml than on netns, more for a rubric than for a run", () => {
    expect(estimatedCost({ scenario, lab, skipReason: "no 8021q" }, "run")).to.equal(0);
    const on = (name: string, mode: "run" | "rubric") =>
      estimatedCost({ scenario, lab, provider: provider(name) } as ScenarioPlan, mode);
    expect(on("uml", "run")).to.be.greaterThan(on("netns", "run"));
    expect(on("vagrant", "run")).to.be.greaterThan(on("uml", "run"));
    expect(on("netns", "rubric")).to.be.greaterThan(on("netns", "run"));
  });
});

describe("parseJobs", () => {
  it("takes 1..999 and auto; anything else is bad input naming --jobs", () => {
    expect(parseJobs("1")).to.equal(1);
    expect(parseJobs("12")).to.equal(12);
    expect(parseJobs("auto")).to.be.at.least(1);
    for (const bad of ["0", "-1", "1.5", "1000", "", "two", "2 ", "0x2"])
      expect(() => parseJobs(bad), bad).to.throw(InputError, /--jobs/);
  });
});

describe("printInBlocks (a job's output, a scenario at a time)", () => {
  it("holds lines until the scenario-end marker, never prints the marker, and prints the rest at the end", async () => {
    const stream = new PassThrough();
    const written: string[] = [];
    printInBlocks(stream, (text) => written.push(text));
    stream.write("  scenario a\n    ✔ che");
    stream.write(`ck 1\n${SCENARIO_END}\n  scenario b\n`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).to.deep.equal(["  scenario a\n    ✔ check 1\n"]);
    stream.end("  2 passing");
    await new Promise((resolve) => stream.on("end", resolve));
    expect(written).to.deep.equal(["  scenario a\n    ✔ check 1\n", "  scenario b\n  2 passing"]);
    expect(written.join("")).not.to.include(SCENARIO_END);
  });

  it("does not hold more than a megabyte: a runaway scenario's output goes out as it comes", async () => {
    const stream = new PassThrough();
    const written: string[] = [];
    printInBlocks(stream, (text) => written.push(text));
    const line = `${"x".repeat(1023)}\n`;
    for (let i = 0; i < 1100; i++) stream.write(line);
    await new Promise((resolve) => setImmediate(resolve));
    expect(written.length).to.be.at.least(1);
    expect(written.every((text) => text.length <= 1024 * 1024 + 2048)).to.equal(true);
  });
});
