import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { SCENARIOS_DIR } from "../model/paths.ts";
import { loadScenario } from "../scenario/load.ts";
import { mergeTimings, readTimings, shapeCost, shardItems, writeTimings } from "./timings.ts";

const shipped = (id: string) => loadScenario(join(SCENARIOS_DIR, `${id}.yaml`));

describe("scenario timings (what shards are balanced by)", () => {
  it("weighs a timed scenario by its time, an untimed one by its shape at the timed ones' rate", () => {
    const timed = shipped("l3-routed");
    const untimed = shipped("linux-bridge");
    const rate = 40_000 / shapeCost(timed.scenario, timed.lab);
    const items = shardItems([timed, untimed], { "l3-routed": 40_000 });
    expect(items).to.deep.equal([
      { key: "l3-routed", weight: 40_000 },
      { key: "linux-bridge", weight: shapeCost(untimed.scenario, untimed.lab) * rate },
    ]);
  });

  it("weighs by shape alone when nothing was timed", () => {
    const one = shipped("macvlan-modes");
    expect(shardItems([one], {})).to.deep.equal([{ key: one.scenario.id, weight: shapeCost(one.scenario, one.lab) }]);
  });

  it("writes and reads a timings file; a missing one is no timings; a later run wins", () => {
    const dir = mkdtempSync(join(tmpdir(), "macvlab-timings-"));
    try {
      expect(readTimings(join(dir, "none.json"))).to.deep.equal({});
      writeTimings(dir, { a: 1200, b: 300 }, "t.json");
      expect(readTimings(join(dir, "t.json"))).to.deep.equal({ a: 1200, b: 300 });
      expect(mergeTimings({ a: 1, b: 2 }, { b: 3 })).to.deep.equal({ a: 1, b: 3 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
