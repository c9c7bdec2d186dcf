import { expect } from "chai";
import fc from "fast-check";
import { parseShard, type ShardItem, shardOf, splitIntoShards, stableHash } from "./shard.ts";

const items = fc.uniqueArray(
  fc.record({
    key: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
    weight: fc.oneof(fc.integer({ min: 0, max: 600_000 }), fc.constant(1000)),
  }),
  { selector: (item) => item.key, maxLength: 60 },
);

describe("shards", () => {
  it("puts every scenario in exactly one shard, for any suite and any shard count", () => {
    fc.assert(
      fc.property(items, fc.integer({ min: 1, max: 12 }), (suite, count) => {
        const shards = splitIntoShards(suite, count);
        expect(shards).to.have.length(count);
        const placed = shards.flat().map((item) => item.key);
        expect(placed).to.have.length(suite.length);
        expect(new Set(placed)).to.deep.equal(new Set(suite.map((item) => item.key)));
        // shardOf each index, as n machines would compute it: the same disjoint cover.
        const perMachine = Array.from({ length: count }, (_, i) => shardOf(suite, { index: i + 1, count }));
        expect(perMachine).to.deep.equal(shards);
      }),
      { numRuns: 300 },
    );
  });

  it("splits the same way whatever order the machine listed the scenarios in", () => {
    fc.assert(
      fc.property(
        items.chain((suite) => fc.tuple(fc.constant(suite), fc.shuffledSubarray(suite, { minLength: suite.length }))),
        fc.integer({ min: 1, max: 8 }),
        ([suite, shuffled], count) => {
          const keys = (shards: ShardItem[][]) => shards.map((s) => s.map((i) => i.key));
          expect(keys(splitIntoShards(shuffled, count))).to.deep.equal(keys(splitIntoShards(suite, count)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("balances: no shard carries more than the lightest one plus the heaviest scenario", () => {
    fc.assert(
      fc.property(items, fc.integer({ min: 1, max: 8 }), (suite, count) => {
        const loads = splitIntoShards(suite, count).map((s) => s.reduce((sum, i) => sum + i.weight, 0));
        const heaviest = Math.max(0, ...suite.map((i) => i.weight));
        expect(Math.max(...loads) - Math.min(...loads)).to.be.at.most(heaviest);
      }),
      { numRuns: 200 },
    );
  });

  it("reads i/n and refuses anything else, naming the flag", () => {
    expect(parseShard("2/3")).to.deep.equal({ index: 2, count: 3 });
    expect(parseShard("1/1")).to.deep.equal({ index: 1, count: 1 });
    for (const bad of ["0/3", "4/3", "3", "1/0", "a/b", "1/3/4", " 1/3", "01/3", "1/1000"])
      expect(() => parseShard(bad), bad).to.throw(/^--shard .*: give i\/n/);
  });

  it("hashes a key the same on every machine (FNV-1a)", () => {
    expect(stableHash("")).to.equal(0x811c9dc5);
    expect(stableHash("a")).to.equal(0xe40c292c);
  });
});
