/**
 * What a Docker engine per node costs: a Docker lab's bring-up with its engines beside the same lab
 * without them, and each Docker scenario beside its namespace twin (the same experiment with
 * namespaces standing in for containers), each on the provider `auto` picks for it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parse, stringify } from "yaml";
import { loadLab } from "../harness/model/load-lab.ts";
import { LABS_DIR } from "../harness/model/paths.ts";
import { allureReporting } from "../harness/report/allure-reporting.ts";
import { runScenarios } from "../harness/run/run-scenarios.ts";
import { loadScenarios } from "../harness/scenario/load-all.ts";
import { type LabUp, labUp } from "./lab-sizes.ts";

/** Each Docker scenario and the namespace scenario that measures the same claims of the articles. */
export const NAMESPACE_TWINS: Readonly<Record<string, string>> = {
  "docker-macvlan-same-network": "macvlan-same-network",
  "docker-host-limitation": "host-macvlan-limitation",
  "docker-macvlan-modes": "macvlan-modes",
  "docker-macvlan-vlans": "vlan-isolation",
  "docker-macvlan-routed": "vlan-routed",
  "docker-ipvlan": "ipvlan-vs-macvlan",
};

/** The lab as written, and a copy of it named `<name>-bare` whose nodes run no engine. */
function withAndWithoutEngines(dir: string, name: string) {
  const file = join(LABS_DIR, `${name}.yaml`);
  const data = parse(readFileSync(file, "utf8")) as { name: string; nodes: Record<string, { docker?: boolean }> };
  data.name = `${name}-bare`;
  for (const node of Object.values(data.nodes)) delete node.docker;
  const bare = join(dir, `${data.name}.yaml`);
  writeFileSync(bare, stringify(data));
  return { docker: loadLab(file), bare: loadLab(bare) };
}

export interface EngineUpRow {
  readonly lab: string;
  readonly provider: string;
  readonly withEngines: LabUp;
  readonly bare: LabUp;
}

/** Lab up with and without engines, on each provider given (one run each, side by side). */
export async function engineUps(dir: string, labs: ReadonlyArray<[string, string]>): Promise<EngineUpRow[]> {
  const rows: EngineUpRow[] = [];
  for (const [name, provider] of labs) {
    const { docker, bare } = withAndWithoutEngines(dir, name);
    rows.push({ lab: name, provider, bare: await labUp(provider, bare), withEngines: await labUp(provider, docker) });
  }
  return rows;
}

/** Each Docker scenario and its twin, on `auto`, wall time from start to the lab's teardown. */
export async function twinTimes(dir: string): Promise<Array<[string, string, number, number]>> {
  const known = new Map(loadScenarios([]).map(({ scenario }) => [scenario.id, scenario.file]));
  const timeOf = async (id: string) => {
    const file = known.get(id);
    if (!file) throw new Error(`no scenario ${id}: NAMESPACE_TWINS is out of date`);
    const started = performance.now();
    const summary = await runScenarios({
      files: [file],
      provider: "auto",
      resultsDir: join(dir, `twin-${id}`),
      reporting: allureReporting,
    });
    if (summary.failures) throw new Error(`${id} failed: the benchmark only times passing runs`);
    return performance.now() - started;
  };
  const rows: Array<[string, string, number, number]> = [];
  for (const [docker, twin] of Object.entries(NAMESPACE_TWINS))
    rows.push([docker, twin, await timeOf(docker), await timeOf(twin)]);
  return rows;
}
