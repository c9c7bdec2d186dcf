import { expect } from "chai";
import { PingCheck } from "../model/scenario.ts";
import { pingCommand } from "./check-commands.ts";

describe("ping commands", () => {
  it("an unreachable check sends several probes but ends at its deadline", () => {
    expect(pingCommand(PingCheck.parse({ from: "a", to: "172.16.20.10", expect: "unreachable" }), 1000)).to.equal("env LC_ALL=C ping -n -c 3 -i 0.3 -W 1 -w 1 172.16.20.10");
  });
  it("a reachable attempt is one probe with a 1 s reply timeout, inside the namespace when given", () => {
    expect(pingCommand(PingCheck.parse({ from: "a", netns: "net1", to: "172.16.5.2" }), 5000)).to.equal("ip netns exec net1 env LC_ALL=C ping -n -c 1 -W 1 172.16.5.2");
    expect(pingCommand(PingCheck.parse({ from: "a", to: "172.16.5.2", count: 3 }), 5000)).to.equal("env LC_ALL=C ping -n -c 3 -i 0.2 -W 1 172.16.5.2");
  });
});
