import { join } from "node:path";
import { expect } from "chai";
import { CHECK_KIND_NAMES, CHECK_KINDS, kindOf } from "../checks/registry.ts";
import { PROJECT_ROOT, SCENARIOS_DIR } from "../model/paths.ts";
import { loadScenario, scenarioFiles } from "../scenario/load.ts";
import { Check } from "../scenario/schema.ts";
import { assertChecksReadOnly, writingCommands } from "./read-only.ts";

const inspectors = CHECK_KIND_NAMES.flatMap((kind) => CHECK_KINDS[kind].readOnly);
const isInspector = (command: string) => inspectors.some((pattern) => pattern.test(command));

describe("read-only checks", () => {
  it("every command of every shipped scenario's checks is an inspector of its kind", () => {
    for (const file of scenarioFiles([], SCENARIOS_DIR)) {
      const { scenario } = loadScenario(file);
      expect(() => assertChecksReadOnly(scenario), file).not.to.throw();
      const commands = scenario.checks.flatMap((c) => kindOf(c).commands({ checkId: c.id, deadlineMs: 1000 }));
      expect(commands.length).to.be.greaterThan(0);
    }
  });

  it("no kind's inspectors admit anything that could change a node", () => {
    for (const command of [
      "ip link set dev eth0 down",
      "ip -j link show dev eth0; reboot",
      "ip netns exec net1 ip addr flush dev eth0",
      "cat /proc/sys/net/ipv4/ip_forward > /dev/null; sysctl -w net.ipv4.ip_forward=0",
      "env LC_ALL=C ping -n -c 1 -W 1 10.0.0.1 && iptables -F",
      "base64 -w0 /run/macvlab-a.pcap && rm -f /etc/passwd",
      "timeout 4 tcpdump -e -nn -U --immediate-mode -i eth0 -c 50 -w /etc/shadow",
    ])
      expect(isInspector(command), command).to.equal(false);
  });

  it("a check whose command is not among its kind's inspectors is refused, naming it", () => {
    const check = Check.parse({ id: "c", title: "t", hint: "h", route: { node: "a", dst: "default" } });
    const lying = { ...check, id: "c" };
    expect(writingCommands(lying)).to.deep.equal([]);
    const { scenario } = loadScenario(join(PROJECT_ROOT, "scenarios", "vlan-routed.yaml"));
    const commands = scenario.checks.flatMap((c) => kindOf(c).commands({ checkId: c.id, deadlineMs: 5000 }));
    expect(commands.map((c) => c.command)).to.include("ip netns exec box1 env LC_ALL=C ping -n -c 1 -W 1 172.16.20.11");
    expect(commands.map((c) => c.command)).to.include("cat /proc/sys/net/ipv4/ip_forward");
  });
});
