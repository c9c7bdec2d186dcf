import { expect } from "chai";
import { join } from "node:path";
import { loadScenario, scenarioFiles } from "../model/load.ts";
import { PROJECT_ROOT } from "../providers/state-root.ts";
import { checkCommands } from "./check-commands.ts";
import { defaultDeadlineMs } from "./check-probe.ts";
import { assertChecksReadOnly, isReadOnly } from "./read-only.ts";

describe("read-only checks", () => {
  it("every command of every shipped scenario's checks is an inspector", () => {
    for (const file of scenarioFiles([], PROJECT_ROOT)) {
      const { scenario } = loadScenario(file);
      expect(() => assertChecksReadOnly(scenario), file).not.to.throw();
      expect(scenario.checks.flatMap((c) => checkCommands(c, defaultDeadlineMs(c))).length).to.be.greaterThan(0);
    }
  });

  it("refuses anything that could change a node", () => {
    for (const command of [
      "ip link set dev eth0 down",
      "ip -j link show dev eth0; reboot",
      "ip netns exec net1 ip addr flush dev eth0",
      "cat /proc/sys/net/ipv4/ip_forward > /dev/null; sysctl -w net.ipv4.ip_forward=0",
      "env LC_ALL=C ping -n -c 1 -W 1 10.0.0.1 && iptables -F",
      "base64 -w0 /run/macvlab-a.pcap && rm -f /etc/passwd",
      "timeout 3 tcpdump -e -nn -U -i eth0 -c 50 -w /etc/shadow",
    ])
      expect(isReadOnly(command), command).to.equal(false);
  });

  it("accepts the inspectors the checks are built from", () => {
    const { scenario } = loadScenario(join(PROJECT_ROOT, "scenarios", "vlan-routed.yaml"));
    const commands = scenario.checks.flatMap((c) => checkCommands(c, defaultDeadlineMs(c)).map((x) => x.command));
    expect(commands).to.include("ip netns exec box1 env LC_ALL=C ping -n -c 1 -W 1 172.16.20.11");
    expect(commands).to.include("cat /proc/sys/net/ipv4/ip_forward");
    expect(commands.every(isReadOnly)).to.equal(true);
  });
});
