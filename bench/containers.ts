/**
 * The containers provider beside netns, where a Docker engine answers (DOCKER_HOST, a context): lab up
 * by size and a command through each one's transport (`docker exec` vs SSH), then every scenario both
 * can run, each on both, one after another in one run.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { providerNamed } from "../harness/providers/registry.ts";
import { allureReporting } from "../harness/report/allure-reporting.ts";
import { runScenarios } from "../harness/run/run-scenarios.ts";
import { loadScenarios } from "../harness/scenario/load-all.ts";
import { type LabUp, labUp, syntheticLab } from "./lab-sizes.ts";

export interface ContainerSizeRow {
  readonly nodes: number;
  readonly containers: LabUp;
  readonly netns: LabUp;
}

/** Why the containers rows are not measured here, or undefined when they can be. */
export async function containersUnavailable(): Promise<string | undefined> {
  const missing = await providerNamed("containers").missingRequirements();
  return missing.length ? missing.map((m) => m.what).join("; ") : undefined;
}

export async function containerSizes(labsDir: string, sizes: readonly number[]): Promise<ContainerSizeRow[]> {
  const rows: ContainerSizeRow[] = [];
  for (const nodes of sizes) {
    const lab = syntheticLab(labsDir, nodes);
    rows.push({ nodes, containers: await labUp("containers", lab), netns: await labUp("netns", lab) });
  }
  return rows;
}

/** Each scenario that both providers can run (measured), wall time on containers and on netns. */
export async function containerScenarioTimes(dir: string): Promise<Array<[string, number, number]>> {
  const [containersCan, netnsCan] = await Promise.all(
    ["containers", "netns"].map(async (name) => (await providerNamed(name).capabilities()).has),
  );
  const rows: Array<[string, number, number]> = [];
  const shared = loadScenarios([]).filter(({ scenario }) =>
    scenario.requires.every((c) => containersCan?.has(c) && netnsCan?.has(c)),
  );
  for (const { scenario } of shared) {
    const timeOn = async (provider: string) => {
      const started = performance.now();
      const summary = await runScenarios({
        files: [scenario.file],
        provider,
        resultsDir: join(dir, `containers-bench-${provider}-${scenario.id}`),
        reporting: allureReporting,
      });
      if (summary.failures)
        throw new Error(`${scenario.id} failed on ${provider}: the benchmark only times passing runs`);
      return performance.now() - started;
    };
    rows.push([scenario.id, await timeOn("containers"), await timeOn("netns")]);
  }
  return rows;
}
