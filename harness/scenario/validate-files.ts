import { existsSync } from "node:fs";
import { basename, dirname } from "node:path";
import { InputError } from "../model/errors.ts";
import { loadLab } from "../model/load-lab.ts";
import { KNOWN_ISSUES_FILE, LABS_DIR, SCENARIOS_DIR } from "../model/paths.ts";
import { YamlSource } from "../model/yaml-source.ts";
import type { FileKind } from "./json-schemas.ts";
import { loadKnownIssues } from "./known-issues.ts";
import { loadScenario, scenarioFiles } from "./load.ts";
import { claimId } from "./load-all.ts";

export interface ValidFile {
  readonly file: string;
  readonly kind: FileKind;
  /** What the file holds, in a few words: `lab two-hosts: 2 nodes` or `scenario l3-routed on lab routed: 9 checks`. */
  readonly summary: string;
}

/**
 * Checks lab and scenario files as `run` would load them — the schema, then what needs both files
 * (a node the lab has, an earlier check's id) — without a lab, a state directory or a host change.
 * Every file is checked: the valid ones are listed, the problems of all others refused together with
 * the loader's own messages (`file:line:col: field: message`). A path that is neither a YAML file nor
 * a folder is refused at once, as `run` refuses it.
 */
export function validateFiles(paths: readonly string[]): { valid: ValidFile[]; refusal?: InputError } {
  const files = paths.length
    ? scenarioFiles(paths, SCENARIOS_DIR)
    : [
        ...[LABS_DIR, SCENARIOS_DIR].flatMap((dir) => scenarioFiles([dir], dir)),
        ...(existsSync(KNOWN_ISSUES_FILE) ? [KNOWN_ISSUES_FILE] : []),
      ];
  const valid: ValidFile[] = [];
  const problems: string[] = [];
  const scenarioIds = new Map<string, string>();
  for (const file of files) {
    try {
      const kind = kindOfFile(file);
      if (kind === "known-issues") {
        // Its entries must name checks that exist: those of the shipped scenarios.
        const scenarios = scenarioFiles([SCENARIOS_DIR], SCENARIOS_DIR).map((f) => loadScenario(f).scenario);
        const known = loadKnownIssues(file, scenarios, true);
        valid.push({ file, kind, summary: `known issues: ${known.size} check(s) known to fail` });
        continue;
      }
      if (kind === "lab") {
        const lab = loadLab(file);
        valid.push({ file, kind, summary: `lab ${lab.name}: ${Object.keys(lab.nodes).length} node(s)` });
        continue;
      }
      const { scenario } = loadScenario(file);
      claimId(scenarioIds, scenario);
      valid.push({
        file,
        kind,
        summary: `scenario ${scenario.id} on lab ${scenario.lab}: ${scenario.checks.length} check(s), ${scenario.negative_controls.length} negative control(s)`,
      });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(error.message);
    }
  }
  if (!problems.length) return { valid };
  return {
    valid,
    refusal: new InputError(`${problems.length} of ${files.length} file(s) have errors\n${problems.join("\n")}`),
  };
}

/**
 * A lab sits in a `labs/` folder and a scenario in `scenarios/`; elsewhere a file with `nodes` and
 * no `checks` is a lab. A file that cannot be read or parsed is taken for a scenario, whose loader
 * then reports why, as `run` would.
 */
export function kindOfFile(file: string): FileKind {
  if (basename(file) === basename(KNOWN_ISSUES_FILE)) return "known-issues";
  const folder = basename(dirname(file));
  if (folder === "labs") return "lab";
  if (folder === "scenarios") return "scenario";
  try {
    const data = YamlSource.read(file).data;
    if (data && typeof data === "object" && "nodes" in data && !("checks" in data)) return "lab";
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
  }
  return "scenario";
}
