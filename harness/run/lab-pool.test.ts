import { expect } from "chai";
import { InfrastructureError, InputError } from "../model/errors.ts";
import type { Lab } from "../model/lab.ts";
import type { Provider, StartedLab } from "../providers/provider.ts";
import { LabPool } from "./lab-pool.ts";

const lab = { name: "two-hosts" } as Lab;

/** A provider whose builds fail with `failures`, in order, then succeed; it counts them. */
function flakyProvider(failures: Error[]) {
  const calls = { up: 0 };
  const provider = {
    name: "fake",
    up: async () => {
      calls.up++;
      const failure = failures.shift();
      if (failure) throw failure;
      return { provider: "fake", lab, down: async () => {} } as unknown as StartedLab;
    },
    down: async () => {},
  } as unknown as Provider;
  return { provider, calls };
}

describe("the lab pool's fresh builds", () => {
  it("builds once more after a build that failed on the infrastructure, and says why", async () => {
    const { provider, calls } = flakyProvider([new InfrastructureError("node node1: SSH connect failed")]);
    const got = await new LabPool(false).acquire(provider, lab);
    expect([calls.up, got.reused, got.rebuiltAfter]).to.deep.equal([2, false, "node node1: SSH connect failed"]);
  });

  it("builds at most twice: a second failure is the scenario's", async () => {
    const { provider, calls } = flakyProvider([new InfrastructureError("first"), new InfrastructureError("second")]);
    const error = await new LabPool(false).acquire(provider, lab).catch((e: Error) => e);
    expect([calls.up, (error as Error).message]).to.deep.equal([2, "second"]);
  });

  it("never builds again after bad input", async () => {
    const { provider, calls } = flakyProvider([new InputError("lab file: bad")]);
    const error = await new LabPool(false).acquire(provider, lab).catch((e: Error) => e);
    expect([calls.up, error instanceof InputError]).to.deep.equal([1, true]);
  });

  it("reports no rebuild when the first build came up", async () => {
    const { provider, calls } = flakyProvider([]);
    const got = await new LabPool(false).acquire(provider, lab);
    expect([calls.up, "rebuiltAfter" in got]).to.deep.equal([1, false]);
  });
});
