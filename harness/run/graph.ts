import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InputError, OutputError } from "../model/errors.ts";
import { TOPOLOGY_DIR } from "../model/paths.ts";
import { findScenario } from "../scenario/load-all.ts";
import { renderSvg } from "../scenario/render-svg.ts";
import { topologyDot } from "../scenario/topology.ts";
import { resolveLab } from "./labs.ts";

export interface GraphRequest {
  /** Lab id or file; optional when a scenario is given (its lab). */
  readonly lab?: string;
  /** A scenario whose VLANs and pings are drawn on its lab (not run: every check grey). */
  readonly scenario?: string;
  /** Where the SVG goes: a file, or "-" for stdout; default reports/topology/<lab>[-<scenario>].svg. */
  readonly output?: string;
}

/** The picture of a lab (and a scenario's checks on it) as SVG: where it was written, or the SVG itself for "-". */
export async function labGraph(request: GraphRequest): Promise<{ file?: string; svg: string }> {
  const found = request.scenario ? findScenario(request.scenario) : undefined;
  const lab = request.lab ? resolveLab(request.lab) : found?.lab;
  if (!lab) throw new InputError("graph: name a lab, or a scenario with --scenario");
  if (found && found.lab.name !== lab.name)
    throw new InputError(`--scenario ${found.scenario.id} runs on lab ${found.lab.name}, not ${lab.name}`);
  const drawn = found?.scenario.checks.map((check) => ({ check, verdict: "not-judged" as const })) ?? [];
  const svg = await renderSvg(topologyDot(lab, found?.scenario, drawn));
  if (request.output === "-") return { svg };
  const file = resolve(request.output ?? join(TOPOLOGY_DIR, `${lab.name}${found ? `-${found.scenario.id}` : ""}.svg`));
  try {
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory())
      throw new InputError(`--output ${file} is a directory; name the .svg file to write`);
    if (!request.output) mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, svg);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new OutputError(`graph: cannot write ${file}: ${(error as Error).message}`);
  }
  return { file, svg };
}
