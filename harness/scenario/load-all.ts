import { InputError } from "../model/errors.ts";
import type { Lab } from "../model/lab.ts";
import { checkName, Id } from "../model/names.ts";
import { SCENARIOS_DIR } from "../model/paths.ts";
import { loadScenario, scenarioFiles } from "./load.ts";
import type { Scenario } from "./schema.ts";

/** Loads every scenario (and its lab) or refuses all of them at once, before anything is created. */
export function loadScenarios(paths: readonly string[]): Array<{ scenario: Scenario; lab: Lab }> {
  const loaded: Array<{ scenario: Scenario; lab: Lab }> = [];
  const problems: string[] = [];
  for (const file of scenarioFiles(paths, SCENARIOS_DIR)) {
    try {
      loaded.push(loadScenario(file));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length)
    throw new InputError(`refusing to run: ${problems.length} file(s) have errors\n${problems.join("\n")}`);
  const ids = new Map<string, string>();
  for (const { scenario } of loaded) claimId(ids, scenario);
  return loaded;
}

/** Records a scenario's id among those seen; one already taken by another file is bad input. */
export function claimId(ids: Map<string, string>, scenario: Scenario): void {
  const other = ids.get(scenario.id);
  if (other) throw new InputError(`scenario id "${scenario.id}" is used by both ${other} and ${scenario.file}`);
  ids.set(scenario.id, scenario.file);
}

/** A scenario by id or file name, among the shipped ones. */
export function findScenario(nameOrFile: string): { scenario: Scenario; lab: Lab } {
  const file = nameOrFile.endsWith(".yaml") ? nameOrFile : `${checkName(Id, nameOrFile, "scenario")}.yaml`;
  const found = loadScenarios([]).find(
    ({ scenario }) => scenario.id === nameOrFile || scenario.file.endsWith(`/${file}`),
  );
  if (!found) throw new InputError(`no scenario "${nameOrFile}" (see \`macvlab list\`)`);
  return found;
}
