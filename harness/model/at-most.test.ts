import { expect } from "chai";
import { atMost } from "./at-most.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("atMost", () => {
  it("runs every item, never more than asked at once, results in order", async () => {
    let running = 0;
    let peak = 0;
    const results = await atMost(3, [1, 2, 3, 4, 5, 6, 7], async (n) => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
      return n * 10;
    });
    expect(results).to.deep.equal([10, 20, 30, 40, 50, 60, 70]);
    expect(peak).to.equal(3);
  });

  it("throws the first failure after the started items settle, and starts no more", async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const error = await atMost(2, [1, 2, 3, 4, 5], async (n) => {
      started.push(n);
      await tick();
      settled.push(n);
      if (n === 2) throw new Error("two failed");
      return n;
    }).catch((e: Error) => e);
    expect((error as Error).message).to.equal("two failed");
    expect(started).to.deep.equal([1, 2, 3]);
    expect(settled).to.have.members(started);
  });

  it("does nothing for no items", async () => {
    expect(await atMost(4, [], async () => 1)).to.deep.equal([]);
  });
});
