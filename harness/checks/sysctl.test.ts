import { expect } from "chai";
import { holds } from "../expect/outcome.ts";
import { fakeProbeEnv } from "../testing/fake-probe-env.ts";
import { judgeSysctl, sysctl } from "./sysctl.ts";

const spec = (input: object) => sysctl.schema.parse({ node: "r", key: "net.ipv4.ip_forward", value: "1", ...input });

describe("sysctl", () => {
  it("compares key = value, nothing else to show", () => {
    expect(judgeSysctl(spec({}), "0\n", "r/ns1")).to.deep.equal({
      subject: "r/ns1: net.ipv4.ip_forward",
      expected: "net.ipv4.ip_forward = 1",
      actual: "net.ipv4.ip_forward = 0",
      detail: "",
    });
  });

  it("reads a multi-valued setting, which /proc/sys separates with tabs, as the spec writes it: with spaces", () => {
    const rmem = spec({ key: "net.ipv4.tcp_rmem", value: "4096 131072 6291456" });
    expect(holds(judgeSysctl(rmem, "4096\t131072\t6291456\n", "r"))).to.equal(true);
  });

  it("takes values of digits, lower-case words and spaces only", () => {
    expect(spec({ value: "4096 131072 6291456" }).value).to.equal("4096 131072 6291456");
    for (const value of ["", "1; reboot", "X1", "1 ".repeat(17)])
      expect(sysctl.schema.safeParse({ node: "r", key: "net.ipv4.ip_forward", value }).success, value).to.equal(false);
  });

  it("reads /proc/sys in the namespace it names, and judges what it read", async () => {
    const check = spec({ netns: "ns1" });
    const { env, ran } = fakeProbeEnv({ stdout: "1\n" });
    expect(holds(await sysctl.probe(check, env, { checkId: "s", deadlineMs: 0 }))).to.equal(true);
    expect(ran).to.deep.equal(["r: ip netns exec ns1 cat /proc/sys/net/ipv4/ip_forward"]);
  });
});
