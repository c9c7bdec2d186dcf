import { expect } from "chai";
import { hostExec } from "./host-exec.ts";

describe("hostExec", () => {
  it("returns stdout, stderr and the exit code, with input on stdin", async () => {
    const result = await hostExec(["sh", "-c", "cat; echo oops >&2; exit 3"], { input: "in\n" });
    expect(result).to.deep.equal({ stdout: "in\n", stderr: "oops\n", exitCode: 3 });
  });

  it("gives the program EOF on stdin when there is no input", async () => {
    expect(await hostExec(["cat"], { timeoutMs: 3000 })).to.deep.equal({ stdout: "", stderr: "", exitCode: 0 });
  });

  it("says 127 and why when the program cannot start", async () => {
    const result = await hostExec(["/nonexistent/program"]);
    expect(result.exitCode).to.equal(127);
    expect(result.stderr).to.match(/ENOENT/);
  });

  it("kills a program at its deadline: exit 124, as timeout(1)", async () => {
    const started = Date.now();
    const result = await hostExec(["sleep", "10"], { timeoutMs: 200 });
    expect(Date.now() - started).to.be.below(8000);
    expect(result).to.deep.equal({ stdout: "", stderr: "macvlab: killed after 200 ms (timeout)\n", exitCode: 124 });
  });

  it("keeps head and tail of output over the cap and kills a program whose output runs away", async () => {
    const capped = await hostExec(["seq", "1", "1000"], { outputCapBytes: 1000 });
    expect(capped.exitCode).to.equal(0);
    expect(capped.stdout).to.match(/^1\n2\n[\s\S]*\n… 2893 bytes cut …\n[\s\S]*\n1000\n$/);
    const started = Date.now();
    const runaway = await hostExec(["yes"], { outputCapBytes: 4096 });
    expect(Date.now() - started).to.be.below(10_000);
    expect(runaway.exitCode).to.equal(137);
    expect(runaway.stdout).to.match(/^(y\n){1024}… \d+ bytes cut …\n(y\n){1024}$/);
    expect(runaway.stderr).to.equal(
      "macvlab: killed: its output went past 4× the output cap (MACVLAB_OUTPUT_CAP_BYTES)\n",
    );
  });
});
