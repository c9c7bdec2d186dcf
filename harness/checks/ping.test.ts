import { expect } from "chai";
import { ping, pingCommand } from "./ping.ts";

const spec = (input: object) => ping.schema.parse(input);

describe("ping commands", () => {
  it("an unreachable check sends several probes but ends at its deadline", () => {
    expect(pingCommand(spec({ from: "a", to: "172.16.20.10", expect: "unreachable" }), 1000)).to.equal(
      "env LC_ALL=C ping -n -c 3 -i 0.3 -W 1 -w 1 172.16.20.10",
    );
  });
  it("a reachable attempt is one probe with a 1 s reply timeout, inside the namespace when given", () => {
    expect(pingCommand(spec({ from: "a", netns: "net1", to: "172.16.5.2" }), 5000)).to.equal(
      "ip netns exec net1 env LC_ALL=C ping -n -c 1 -W 1 172.16.5.2",
    );
    expect(pingCommand(spec({ from: "a", to: "172.16.5.2", count: 3 }), 5000)).to.equal(
      "env LC_ALL=C ping -n -c 3 -i 0.2 -W 1 172.16.5.2",
    );
  });
  it("every command it builds is among its declared inspectors", () => {
    for (const input of [
      { from: "a", to: "10.0.0.1", expect: "unreachable", count: 5 },
      { from: "a", netns: "x", to: "10.0.0.1" },
    ]) {
      const [command] = ping.commands(spec(input), { checkId: "c", deadlineMs: 3000 });
      expect(
        ping.readOnly.some((re) => re.test(command!.command)),
        command!.command,
      ).to.equal(true);
    }
  });
});
