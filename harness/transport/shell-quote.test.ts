import { execFileSync } from "node:child_process";
import { expect } from "chai";
import { quoteArgv } from "./shell-quote.ts";

describe("quoteArgv", () => {
  it("round-trips awkward words through a real shell", () => {
    const words = ["plain", "with space", "it's", "$(reboot)", "a;b", "", "back\\slash", "new\nline"];
    const echoed = execFileSync("sh", ["-c", `printf '%s\\0' ${quoteArgv(words)}`], { encoding: "utf8" });
    expect(echoed.split("\0").slice(0, -1)).to.deep.equal(words);
  });
  it("leaves ordinary words alone", () => {
    expect(quoteArgv(["ip", "link", "set", "dev", "enp0s3.100", "up"])).to.equal("ip link set dev enp0s3.100 up");
  });
});
