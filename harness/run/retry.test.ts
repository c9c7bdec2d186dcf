import { expect } from "chai";
import { type Clock, retryUntil } from "./retry.ts";

function fakeClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

describe("retryUntil", () => {
  it("stops at the first result that is done", async () => {
    let n = 0;
    const { result, attempts } = await retryUntil(
      async () => ++n,
      (v) => v === 3,
      10_000,
      { clock: fakeClock() },
    );
    expect([result, attempts]).to.deep.equal([3, 3]);
  });
  it("returns the last result when the deadline passes", async () => {
    const clock = fakeClock();
    const { result, attempts } = await retryUntil(
      async () => "down",
      (v) => v === "up",
      1000,
      { intervalMs: 200, clock },
    );
    expect(result).to.equal("down");
    expect(attempts).to.equal(5);
    expect(clock.t).to.be.at.most(1000);
  });
});
