import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { LabSchema } from "../model/lab.ts";
import { SCENARIOS_DIR } from "../model/paths.ts";
import { loadScenario } from "./load.ts";
import { layoutSvg, renderLaidOut, renderSvg } from "./render-svg.ts";
import { addressOwners, topologyDot, vlansOf } from "./topology.ts";

const shipped = (id: string) => loadScenario(join(SCENARIOS_DIR, `${id}.yaml`));
/** Graphviz writes `-` as an entity in SVG text. */
const text = (svg: string) => svg.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

describe("topology pictures", () => {
  it("finds the addresses a setup gives, in a node or its namespaces, with ip or ifconfig", () => {
    const routed = addressOwners(shipped("l3-routed").scenario);
    expect(routed.get("172.16.10.1")).to.deep.equal({ node: "node1", netns: undefined });
    expect(routed.get("172.16.10.10")).to.deep.equal({ node: "node2", netns: "box1" });
    const same = addressOwners(shipped("macvlan-same-network").scenario);
    expect(same.get("172.16.5.3")).to.deep.equal({ node: "node3", netns: "net1" });
  });

  it("finds the addresses Docker gives containers (`docker run --name N --ip A`), and draws a container's ping from it", async () => {
    const { scenario, lab } = shipped("docker-macvlan-same-network");
    const owners = addressOwners(scenario);
    expect(owners.get("172.16.5.2")).to.deep.equal({ node: "node2", container: "busybox1" });
    expect(owners.get("172.16.5.3")).to.deep.equal({ node: "node3", container: "busybox2" });
    const ping = scenario.checks.find((c) => c.ping?.container === "busybox2");
    if (!ping) throw new Error("no ping from busybox2");
    const svg = text(await renderSvg(topologyDot(lab, scenario, [{ check: ping, verdict: "as-expected" }])));
    expect(svg).to.include("container busybox2").and.include("container busybox1").and.include("172.16.5.2");
    expect(svg).to.not.include("not in the setup");
  });

  it("finds the VLAN ids a setup stacks on a NIC, from ip link and from vconfig", () => {
    expect(vlansOf(shipped("vlan-isolation").scenario).get("node2/enp0s3")).to.deep.equal([100, 200]);
    // vlan-routed's router (node1) uses the article's `vconfig add enp0s3 100`.
    expect(vlansOf(shipped("vlan-routed").scenario).get("node1/enp0s3")).to.deep.equal([100, 200]);
  });

  it("draws nodes with NICs and MACs, segments, VLANs on trunk ports, and a ping in its verdict's colour", async () => {
    const { scenario, lab } = shipped("vlan-isolation");
    const ping = scenario.checks.find((c) => c.ping);
    if (!ping) throw new Error("no ping check");
    const failed = text(await renderSvg(topologyDot(lab, scenario, [{ check: ping, verdict: "not-as-expected" }])));
    for (const name of Object.keys(lab.nodes)) expect(failed).to.include(name);
    expect(failed).to.include("08:00:27:00:01:03").and.include("trunk (802.1Q)").and.include("802.1Q 100, 200");
    expect(failed).to.include(`${ping.id}: ping ${ping.ping?.to}`).and.include("#c62828").and.not.include("#2e7d32");
    const held = await renderSvg(topologyDot(lab, scenario, [{ check: ping, verdict: "as-expected" }]));
    expect(held).to.include("#2e7d32").and.not.include("#c62828");
  });

  it("outlines the nodes a check other than ping looks at", () => {
    const { scenario, lab } = shipped("l3-routed");
    const sysctl = scenario.checks.find((c) => c.sysctl);
    if (!sysctl) throw new Error("no sysctl check");
    const dot = topologyDot(lab, scenario, [{ check: sysctl, verdict: "not-as-expected" }]);
    expect(dot).to.match(/"node:node1" \[shape=plaintext, label=<<TABLE BORDER="3"[^>]*COLOR="#c62828"/);
    expect(dot).to.match(/"node:node2" \[shape=plaintext, label=<<TABLE BORDER="1"/);
  });

  it("names an address no setup gives instead of inventing its owner", () => {
    const { scenario, lab } = shipped("macvlan-same-network");
    const check = {
      ...scenario.checks.find((c) => c.ping),
      ping: { from: "node2", to: "198.51.100.7", expect: "reachable" as const },
    };
    const dot = topologyDot(lab, scenario, [{ check: check as never, verdict: "not-judged" }]);
    expect(dot).to.include('"address:198.51.100.7" [shape=plaintext, label="198.51.100.7\\n(not in the setup)"]');
  });

  it("escapes what it draws: a description cannot break out of a label", () => {
    const lab = {
      ...LabSchema.parse({
        name: "odd",
        segments: { lan: {} },
        nodes: { a: { nics: [{ name: "eth0", segment: "lan" }] } },
      }),
      file: "/x/odd.yaml",
    };
    const dot = topologyDot(lab);
    expect(dot).to.include('"segment:lan"').and.include("<B>a</B>");
    expect(dot.split("\n")[0]).to.equal('graph "odd" {');
  });

  it("hears Graphviz's own warnings: two opposite labelled pings between namespaces fail spline routing", async () => {
    const { scenario, lab } = shipped("macvlan-same-network");
    // The whole picture a `run -g TTL` drew: its pings judged, its other checks not.
    const drawn = scenario.checks.map((check) => ({
      check,
      verdict: check.ping ? ("as-expected" as const) : ("not-judged" as const),
    }));
    const dot = topologyDot(lab, scenario, drawn);
    expect((await layoutSvg(dot)).complaints.join("\n")).to.include("triangulation failed");
    const kept = await renderLaidOut(dot);
    expect(kept.complaints).to.deep.equal([]);
    expect(kept.svg).to.match(/<svg[\s\S]*<\/svg>\s*$/);
  });

  it("renders every shipped scenario's pictures (each check alone, and all of them in mixed verdicts) without a Graphviz warning", async () => {
    const complaints: string[] = [];
    const verdicts = ["as-expected", "not-as-expected", "not-judged"] as const;
    for (const file of readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith(".yaml"))) {
      const { scenario, lab } = loadScenario(join(SCENARIOS_DIR, file));
      const pictures = [
        ...scenario.checks.map((check) => [{ check, verdict: "as-expected" as const }]),
        ...verdicts.map((_, shift) =>
          scenario.checks.map((check, i) => ({
            check,
            verdict: verdicts[(i + shift) % verdicts.length] ?? "not-judged",
          })),
        ),
        scenario.checks.map((check) => ({
          check,
          verdict: check.ping ? ("as-expected" as const) : ("not-judged" as const),
        })),
      ];
      for (const drawn of pictures) {
        const { svg, complaints: said } = await renderLaidOut(topologyDot(lab, scenario, drawn));
        expect(svg, scenario.id).to.match(/<svg[\s\S]*<\/svg>\s*$/);
        complaints.push(...said.map((line) => `${scenario.id}: ${line}`));
      }
    }
    expect(complaints).to.deep.equal([]);
  });
});
