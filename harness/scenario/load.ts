import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { kindOf } from "../checks/registry.ts";
import { InputError } from "../model/errors.ts";
import { dockerEngine, dockerNodes, type Lab } from "../model/lab.ts";
import { loadLab } from "../model/load-lab.ts";
import { display, type Path, YamlSource } from "../model/yaml-source.ts";
import { isCommandStep, type Scenario, ScenarioSchema, type StepSpec } from "./schema.ts";

/** Where a scenario folder's labs are: `labs/` beside it. */
export const labsDirBeside = (scenariosDir: string) => join(dirname(resolve(scenariosDir)), "labs");

/** The lab file a scenario names: `labs/<id>.yaml` beside the scenarios folder. */
export function labFileFor(scenario: Scenario, labsDir?: string): string {
  return join(labsDir ?? labsDirBeside(dirname(scenario.file)), `${scenario.lab}.yaml`);
}

export function loadScenario(file: string, labsDir?: string): { scenario: Scenario; lab: Lab } {
  const source = YamlSource.read(file);
  const scenario: Scenario = { ...source.validate(ScenarioSchema, "scenario"), file: resolve(file) };
  const labFile = labFileFor(scenario, labsDir);
  if (!existsSync(labFile))
    throw new InputError(
      `${source.issue(["lab"], `lab "${scenario.lab}" not found (looked for ${display(labFile)})`)}`,
    );
  const lab = loadLab(labFile);
  const issues = crossCheck(scenario, lab, source);
  if (issues.length) throw new InputError(`${display(file)}: invalid scenario`, issues);
  return { scenario, lab };
}

/** References the schema cannot see: nodes and NICs of the lab, check and step ids. */
function crossCheck(scenario: Scenario, lab: Lab, source: YamlSource): string[] {
  const issues: string[] = [];
  const node = (name: string, path: Path) => {
    if (!Object.hasOwn(lab.nodes, name))
      issues.push(source.issue(path, `no node "${name}" in lab ${lab.name} (${Object.keys(lab.nodes).join(", ")})`));
  };
  const steps = (list: readonly StepSpec[], section: Path) =>
    list.forEach((step, i) => {
      if (isCommandStep(step)) node(step.node, [...section, i, "node"]);
      else {
        for (const [setting, capability] of [
          ["hairpin", "switch-hairpin"],
          ["link", "switch-link"],
        ] as const)
          if (step.switch_port[setting] !== undefined && !scenario.requires.includes(capability))
            issues.push(
              source.issue(
                [...section, i, "switch_port", setting],
                `a switch port's ${setting} needs \`requires: [${capability}]\` (not every provider owns the switch)`,
              ),
            );
        node(step.switch_port.node, [...section, i, "switch_port", "node"]);
        const nics = lab.nodes[step.switch_port.node]?.nics ?? [];
        if (nics.length && !nics.some((n) => n.name === step.switch_port.nic))
          issues.push(
            source.issue(
              [...section, i, "switch_port", "nic"],
              `node ${step.switch_port.node} has no NIC "${step.switch_port.nic}"`,
            ),
          );
      }
    });
  steps(scenario.setup, ["setup"]);
  steps(scenario.cleanup, ["cleanup"]);
  const engines = dockerNodes(lab);
  if (engines.length && !scenario.requires.includes("docker"))
    issues.push(
      source.issue(
        ["requires"],
        `lab ${lab.name} runs a Docker engine in ${engines.join(", ")}: the scenario needs \`requires: [docker]\``,
      ),
    );
  const registries = engines.filter((n) =>
    dockerEngine(lab.nodes[n] ?? { docker: false })?.images.includes("registry"),
  );
  if (registries.length && !scenario.requires.includes("docker-registry"))
    issues.push(
      source.issue(
        ["requires"],
        `lab ${lab.name} loads the registry image in ${registries.join(", ")}: the scenario needs \`requires: [docker-registry]\``,
      ),
    );
  const failingSteps = new Set(
    scenario.setup.filter((s) => isCommandStep(s) && s.expect_failure && s.id).map((s) => s.id),
  );
  const stepIds = new Set<string>();
  scenario.setup.forEach((s, i) => {
    if (s.id && stepIds.has(s.id)) issues.push(source.issue(["setup", i, "id"], `duplicate step id "${s.id}"`));
    if (s.id) stepIds.add(s.id);
  });
  const checkIds = new Set<string>();
  scenario.checks.forEach((check, i) => {
    if (checkIds.has(check.id)) issues.push(source.issue(["checks", i, "id"], `duplicate check id "${check.id}"`));
    checkIds.add(check.id);
    if (check.while) {
      steps(check.while.do, ["checks", i, "while", "do"]);
      steps(check.while.undo, ["checks", i, "while", "undo"]);
    }
    const kinded = kindOf(check);
    for (const ref of kinded.nodeRefs()) node(ref.node, ["checks", i, kinded.kind, ...ref.path]);
    for (const ref of kinded.stepRefs())
      if (!failingSteps.has(ref.stepId))
        issues.push(
          source.issue(
            ["checks", i, kinded.kind, ...ref.path],
            `no setup step with id "${ref.stepId}" and expect_failure: true`,
          ),
        );
  });
  for (const [i, check] of scenario.checks.entries())
    for (const [j, id] of check.needs.entries())
      if (!checkIds.has(id) || id === check.id)
        issues.push(source.issue(["checks", i, "needs", j], `"${id}" is not an earlier check of this scenario`));
  issues.push(...stageIssues(scenario, source));
  scenario.negative_controls.forEach((control, i) => {
    if (i < scenario.negative_controls.length - 1 && control.restore.length === 0)
      issues.push(
        source.issue(
          ["negative_controls", i, "restore"],
          "a negative control followed by another one needs restore steps",
        ),
      );
    steps(control.break, ["negative_controls", i, "break"]);
    steps(control.restore, ["negative_controls", i, "restore"]);
    control.flips.forEach((id, j) => {
      if (!checkIds.has(id))
        issues.push(source.issue(["negative_controls", i, "flips", j], `no check with id "${id}"`));
    });
  });
  if (basename(scenario.file, ".yaml") !== scenario.id)
    issues.push(source.issue(["id"], `the id must match the file name (${basename(scenario.file)})`));
  return issues;
}

/** Scenario files: the given paths (files or folders), or every `*.yaml` of the default folder. */
export function scenarioFiles(paths: readonly string[], defaultDir: string): string[] {
  const inputs = paths.length ? paths : [defaultDir];
  return inputs.flatMap((p) => {
    if (!existsSync(p)) throw new InputError(`no such scenario file or folder: ${p}`);
    if (p.endsWith(".yaml") || p.endsWith(".yml")) return [resolve(p)];
    if (!statSync(p).isDirectory()) throw new InputError(`${p}: not a scenario file (*.yaml) or a folder of them`);
    return readdirSync(p)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) => resolve(p, f));
  });
}

/**
 * Stages name checks of this scenario, each check in one stage, and no check needs one of a later
 * stage; a step's stage is one of them, and only setup steps have one (they build the stages).
 */
function stageIssues(scenario: Scenario, source: YamlSource): string[] {
  const issues: string[] = [];
  const count = scenario.stages.length;
  scenario.setup.forEach((step, i) => {
    if (isCommandStep(step) && step.stage !== undefined && step.stage > count)
      issues.push(
        source.issue(
          ["setup", i, "stage"],
          count ? `stage ${step.stage}: the scenario has ${count} stages` : "a stage needs the scenario's `stages:`",
        ),
      );
  });
  const elsewhere: Array<[readonly StepSpec[], Path]> = [
    [scenario.cleanup, ["cleanup"]],
    ...scenario.negative_controls.flatMap(
      (c, i): Array<[readonly StepSpec[], Path]> => [
        [c.break, ["negative_controls", i, "break"]],
        [c.restore, ["negative_controls", i, "restore"]],
      ],
    ),
  ];
  for (const [list, path] of elsewhere)
    list.forEach((step, i) => {
      if (isCommandStep(step) && step.stage !== undefined)
        issues.push(source.issue([...path, i, "stage"], "only setup steps build a stage"));
    });
  if (count === 0) return issues;
  const ids = new Set(scenario.checks.map((c) => c.id));
  const placed = new Map<string, number>();
  for (const [i, stage] of scenario.stages.entries())
    for (const [j, id] of stage.checks.entries()) {
      const where = ["stages", i, "checks", j];
      if (!ids.has(id)) issues.push(source.issue(where, `no check "${id}" in this scenario`));
      else if (placed.has(id)) issues.push(source.issue(where, `check "${id}" is already in stage ${placed.get(id)}`));
      else placed.set(id, i + 1);
    }
  const unplaced = scenario.checks.filter((c) => !placed.has(c.id)).map((c) => c.id);
  if (unplaced.length)
    issues.push(
      source.issue(["stages"], `with stages, every check belongs to one: ${unplaced.join(", ")} belong to none`),
    );
  for (const [i, check] of scenario.checks.entries())
    for (const [j, id] of check.needs.entries()) {
      const [own, needed] = [placed.get(check.id), placed.get(id)];
      if (own !== undefined && needed !== undefined && needed > own)
        issues.push(
          source.issue(
            ["checks", i, "needs", j],
            `"${id}" is graded in stage ${needed}, after this check's stage ${own}: a check may need only its own or earlier stages`,
          ),
        );
    }
  return issues;
}
