import { expect } from "chai";
import { CAPABILITIES } from "../../model/capabilities.ts";
import { probeCapabilities } from "../namespace-lab/capabilities.ts";
import type { LabHost } from "../namespace-lab/lab-host.ts";
import { LocalHost } from "./local-host.ts";

describe("capability probes (one script, each probe in a throwaway namespace)", () => {
  it("measures this kernel: what works is had, what does not is absent with the kernel's own words", async function () {
    if (process.getuid?.() !== 0) this.skip();
    const report = await probeCapabilities(new LocalHost(), "netns");
    expect(report.kernel).to.match(/^\d+\.\d+/);
    expect(report.has).to.include("bridge").and.to.include("macvlan");
    // Every capability is either had or absent, never both, never neither.
    const named = [...report.has, ...report.absent.keys()];
    expect(new Set(named).size).to.equal(named.length);
    expect(named).to.have.length(Object.keys(CAPABILITIES).length);
    for (const [capability, why] of report.absent) expect(why, capability).to.match(/\(.+\)$/);
  });

  it("a probe script that does not run is the host's failure, not a kernel without features", async () => {
    const broken = {
      description: "test machine",
      run: async () => ({ stdout: "", stderr: "sh: unshare: not found", exitCode: 127 }),
    } as unknown as LabHost;
    const error = await probeCapabilities(broken, "x").catch((e: Error) => e);
    expect((error as Error).message).to.equal(
      "test machine: the capability probes did not run (exit 127): sh: unshare: not found",
    );
  });
});
