import { execFile } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { InputError } from "../model/errors.ts";
import type { Lab } from "../model/lab.ts";
import { loadLab } from "../model/load-lab.ts";
import { checkName, Id, LabName } from "../model/names.ts";
import {
  CLI_ENTRY,
  classMembers,
  jobStateRoots,
  LABS_DIR,
  labStateNames,
  SCENARIOS_DIR,
  stateDir,
  stateRoot,
  writableStateRoot,
} from "../model/paths.ts";
import type { Provider } from "../providers/provider.ts";
import { PROVIDER_NAMES, providerNamed, providersFor } from "../providers/registry.ts";
import { STATE_MARKER } from "../providers/state-marker.ts";
import { loadScenarios } from "../scenario/load-all.ts";
import { isCommandStep, type Scenario } from "../scenario/schema.ts";
import type { ShellResult } from "../transport/shell.ts";
import { downByNameTracked, downTracked, forget, upTracked } from "./active-labs.ts";
import { failpoint } from "./failpoint.ts";
import { interruptible } from "./interrupt.ts";
import { type HeldLock, holderOf, LabBusyError, liveHolders, lockLab, lockLabs, releaseLocks } from "./lab-lock.ts";
import { providerForScenario } from "./plan.ts";
import { silentRecorder } from "./recorder.ts";
import { candidatesFor } from "./run-scenarios.ts";
import { runSteps } from "./steps.ts";

const run = promisify(execFile);
/** Taking down what one job left: a few labs, VMs at worst. */
const JOB_DOWN_TIMEOUT_MS = 600_000;

/** A lab given as a file path or as the id of `labs/<id>.yaml`. */
export function resolveLab(nameOrFile: string): Lab {
  const file = nameOrFile.endsWith(".yaml")
    ? nameOrFile
    : join(LABS_DIR, `${checkName(LabName, nameOrFile, "lab")}.yaml`);
  if (!existsSync(file))
    throw new InputError(`no lab "${nameOrFile}" (looked for ${file}; labs: ${labIds().join(", ")})`);
  return loadLab(file);
}

function labIds(): string[] {
  const dir = LABS_DIR;
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => f.slice(0, -5))
        .sort()
    : [];
}

/** A lab another process holds: wait for it (`--wait`) instead of failing with exit 2. */
export interface LockChoice {
  readonly wait?: boolean;
}

/** `--solve`: a scenario's setup, then maybe one of its mistakes, or only the steps of its stages 1..toStage. */
export interface Solve {
  readonly scenario: string;
  readonly mistake?: string;
  readonly toStage?: number;
}

/**
 * A lab for a class's student (`--as`): on a provider that does not keep the student's root on a
 * node from this host, only when the trainer said so (`--no-isolation`).
 */
export interface ForStudent {
  readonly student: string;
  readonly acceptNoIsolation: boolean;
}

/** What `lab up` is asked for besides the lab and the provider choice. */
export interface LabUpOptions {
  readonly solve?: Solve;
  /** The scenario the lab is for (`--for`, implied by `--solve`): on `auto`, a provider that can run it. */
  readonly forScenario?: string;
  readonly lock?: LockChoice;
  readonly forStudent?: ForStudent;
}

/**
 * A trainer's lab: up and left running. `solve` applies a scenario's setup (a worked solution to show
 * or grade), `mistake` then one of its negative controls (a deliberate mistake for a demo or a test).
 * The lab is locked while it is built; once it is up and released, later commands may attach or take it down.
 */
export function labUp(nameOrFile: string, providerName: string, options: LabUpOptions = {}): Promise<string> {
  return interruptible(() => bringUp(nameOrFile, providerName, options));
}

async function bringUp(nameOrFile: string, providerName: string, options: LabUpOptions): Promise<string> {
  const { solve, forStudent } = options;
  const scenarioArg = solve?.scenario ?? options.forScenario;
  if (solve && options.forScenario && solve.scenario !== options.forScenario)
    throw new InputError(`--for ${options.forScenario} and --solve ${solve.scenario}: name one scenario`);
  const target = scenarioArg ? loadScenarios([scenarioFile(scenarioArg)])[0] : undefined;
  const solution = solve ? target : undefined;
  const lab = target ? target.lab : resolveLab(nameOrFile);
  if (target && target.lab.name !== nameOrFile && !nameOrFile.endsWith(".yaml"))
    throw new InputError(`scenario ${target.scenario.id} runs on lab ${target.lab.name}, not ${nameOrFile}`);
  const mistake = solve?.mistake ? solution?.scenario.negative_controls.find((c) => c.id === solve.mistake) : undefined;
  if (solve?.mistake && !mistake)
    throw new InputError(`scenario ${solution?.scenario.id} has no negative control "${solve.mistake}"`);
  const toStage = solve?.toStage;
  const stages = solution?.scenario.stages ?? [];
  if (toStage !== undefined && stages.length === 0)
    throw new InputError(`--to-stage ${toStage}: scenario ${solution?.scenario.id} has no stages`);
  if (toStage !== undefined && toStage > stages.length)
    throw new InputError(`--to-stage ${toStage}: scenario ${solution?.scenario.id} has ${stages.length} stages`);
  const provider = await providerForLab(providerName, target?.scenario, lab);
  const isolation = provider.studentIsolation();
  if (forStudent && !isolation.isolates && !forStudent.acceptNoIsolation)
    throw new InputError(
      `--as ${forStudent.student}: provider ${provider.name} does not isolate a student from this host: ${isolation.why}. Add --no-isolation to make this lab anyway (for a class you trust), or use a provider that isolates (\`macvlab doctor\` says which)`,
    );
  // Only now, with every argument accepted: a refused `lab up` leaves no directory behind.
  writableStateRoot();
  const lock = await lockLab({ provider: provider.name, lab: lab.name, mode: "exclusive", wait: options.lock?.wait });
  let nodes: string;
  try {
    const started = await upTracked(provider, lab, {
      onFirstResource: () => failpoint("build"),
      outlivesProcess: true,
    });
    try {
      await failpoint("setup");
      const outcomes = new Map<string, ShellResult>();
      // Through a stage: the setup steps that build stages 1..N (a step names its stage; none means 1).
      const setup = solution?.scenario.setup.filter(
        (step) => toStage === undefined || !isCommandStep(step) || (step.stage ?? 1) <= toStage,
      );
      if (setup) await runSteps(started, setup, outcomes, { recorder: silentRecorder });
      if (mistake) await runSteps(started, mistake.break, outcomes, { recorder: silentRecorder });
    } catch (error) {
      await downTracked(started);
      throw error;
    }
    nodes = started.nodes.map((n) => n.name).join(", ");
    await started.release();
    forget(started);
  } finally {
    await lock.release();
  }
  const through = toStage === undefined ? "" : ` through stage ${toStage} (${stages[toStage - 1]?.title})`;
  const applied = solution
    ? `, with the setup of ${solution.scenario.id}${through}${mistake ? ` and the mistake "${mistake.title}"` : ""}`
    : "";
  const warning = forStudent && !isolation.isolates ? `\nnot isolated (--no-isolation): ${isolation.why}` : "";
  return `lab ${lab.name} is up on ${provider.name} (nodes: ${nodes})${applied}; \`macvlab down ${lab.name}\` removes it${warning}`;
}

/**
 * Where a lab for later commands goes: a provider that can attach to it from a later command (ssh,
 * grade). On `auto`, when the lab is for a scenario, the first installed one that has every
 * capability the scenario requires, chosen as a run chooses (a VLAN exercise gets a kernel with
 * 8021q). A provider named with `--provider` is taken at its word: measuring a VM provider means
 * booting a machine.
 */
async function providerForLab(choice: string, scenario: Scenario | undefined, lab: Lab): Promise<Provider> {
  const attachable = providersFor(choice).filter((p) => p.attach);
  const first = attachable[0];
  if (!first) {
    const able = PROVIDER_NAMES.filter((n) => providerNamed(n).attach).join(", ");
    throw new InputError(
      `provider ${choice} cannot attach to a lab from a later command (ssh, grade); \`lab up\` needs one that can (${able})`,
    );
  }
  if (choice !== "auto" || !scenario || scenario.requires.length === 0) return first;
  const candidates = (await candidatesFor(choice)).filter((c) => c.provider.attach);
  return providerForScenario(scenario, lab, candidates);
}

/** `--solve` and `--for` take a scenario file, or the id of one in scenarios/. */
function scenarioFile(idOrFile: string): string {
  return idOrFile.endsWith(".yaml") ? idOrFile : join(SCENARIOS_DIR, `${checkName(Id, idOrFile, "scenario")}.yaml`);
}

/**
 * Takes labs down: the named ones (one held by another live process is exit 2, naming it), or every
 * lab this state dir has, skipping — with a line saying so — those another live process holds.
 */
export function labDown(names: readonly string[], choice: LockChoice = {}): Promise<string[]> {
  return interruptible(() => takeDown(names, choice));
}

async function takeDown(names: readonly string[], choice: LockChoice): Promise<string[]> {
  // Every name first: a bad one must not stop the teardown halfway through the list.
  for (const name of names) checkName(LabName, name, "lab");
  const lines: string[] = [];
  const targets: Array<{ provider: Provider; lab: string }> = [];
  for (const providerName of PROVIDER_NAMES) {
    const provider = providerNamed(providerName);
    const running = await provider.list();
    // A named lab that is not a lab here may still be something at its path (a symlink, a file):
    // stateDir refuses those by name rather than passing over them in silence.
    for (const name of names) if (!running.includes(name)) stateDir(providerName, name);
    for (const lab of names.length ? names.filter((n) => running.includes(n)) : running)
      targets.push({ provider, lab });
  }
  const locked: Array<{ provider: Provider; lab: string; lock: HeldLock }> = [];
  if (names.length) {
    const locks = await lockLabs(
      targets.map((t) => ({ provider: t.provider.name, lab: t.lab })),
      "exclusive",
      choice.wait,
    );
    for (const t of targets) {
      const lock = locks.find((l) => l.provider === t.provider.name && l.lab === t.lab);
      if (lock) locked.push({ ...t, lock });
    }
  } else
    for (const t of targets) {
      try {
        locked.push({
          ...t,
          lock: await lockLab({ provider: t.provider.name, lab: t.lab, mode: "exclusive", wait: choice.wait }),
        });
      } catch (error) {
        if (!(error instanceof LabBusyError)) throw error;
        lines.push(`${t.provider.name}: lab ${t.lab} skipped: in use by ${holderOf(t.provider.name, t.lab)}`);
      }
    }
  try {
    for (const { provider, lab } of locked) {
      await failpoint("teardown");
      await downByNameTracked(provider, lab);
      lines.push(`${provider.name}: lab ${lab} down`);
    }
  } finally {
    await releaseLocks(locked.map((l) => l.lock));
  }
  if (!names.length) lines.push(...(await downJobLabs(choice)));
  return lines.length ? lines : ["nothing to take down"];
}

/**
 * The labs a parallel run's jobs left in their own state roots (every process of the run killed at
 * once): each root is taken down by a `down` of its own, as the job's `left behind` line says.
 */
async function downJobLabs(choice: LockChoice): Promise<string[]> {
  const lines: string[] = [];
  for (const root of jobStateRoots()) {
    if (!PROVIDER_NAMES.some((name) => labStateNames(name, root).length > 0)) continue;
    const args = [CLI_ENTRY, "down", ...(choice.wait ? ["--wait"] : [])];
    const env = { ...process.env, MACVLAB_STATE_DIR: root };
    const result = await run(process.execPath, args, {
      env,
      timeout: JOB_DOWN_TIMEOUT_MS,
      maxBuffer: 1024 * 1024,
    }).then(
      (done) => done.stdout,
      (error: { stdout?: string; stderr?: string; message: string }) =>
        `${error.stdout ?? ""}failed: ${(error.stderr || error.message).trim()}`,
    );
    for (const line of result.split("\n").filter(Boolean)) lines.push(`${relative(stateRoot(), root)}: ${line}`);
  }
  return lines;
}

export async function listAll(): Promise<string[]> {
  const lines = ["labs:"];
  for (const id of labIds()) {
    const lab = loadLab(join(LABS_DIR, `${id}.yaml`));
    lines.push(`  ${id}: ${Object.keys(lab.nodes).join(", ")} — ${lab.description ?? ""}`);
  }
  lines.push("scenarios:");
  for (const { scenario } of loadScenarios([]))
    lines.push(
      `  ${scenario.id} (lab ${scenario.lab}${scenario.requires.length ? `, requires ${scenario.requires.join(" ")}` : ""}): ${scenario.title}`,
    );
  return [...lines, "running:", ...(await listRunning())];
}

/** The labs up in this state dir (provider, age, who brought it up, who uses it) and those parallel jobs left. */
export async function listRunning(): Promise<string[]> {
  const lines: string[] = [];
  for (const name of PROVIDER_NAMES)
    for (const lab of await providerNamed(name).list()) lines.push(`  ${name}: ${lab}${aboutRunning(name, lab)}`);
  for (const root of jobStateRoots())
    for (const name of PROVIDER_NAMES)
      for (const lab of labStateNames(name, root)) lines.push(`  ${name}: ${lab} (${relative(stateRoot(), root)})`);
  // A class's labs (`lab up … --as s-042`), each in its student's own state root.
  for (const { student, root } of classMembers())
    for (const name of PROVIDER_NAMES)
      for (const lab of labStateNames(name, root)) lines.push(`  ${name}: ${lab} (as ${student})`);
  return lines;
}

/**
 * How long a running lab has been up and who brought it up (its state marker's age and owner), and
 * the process using it now, if any: what a trainer asks of `macvlab list` before taking a lab down.
 */
function aboutRunning(provider: string, lab: string): string {
  const marker = join(stateRoot(), provider, lab, STATE_MARKER);
  const facts: string[] = [];
  try {
    const { mtimeMs, uid } = lstatSync(marker);
    facts.push(`up ${duration(Date.now() - mtimeMs)}`, `by ${userName(uid)}`);
  } catch {
    // no marker (vagrant keeps its own state): nothing to say about age and owner
  }
  const holder = liveHolders(provider, lab);
  if (holder) facts.push(`in use by ${holder}`);
  return facts.length ? ` — ${facts.join(", ")}` : "";
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 1) return "less than a minute";
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A uid's name from /etc/passwd (the file is small; read bounded), else the number. */
function userName(uid: number): string {
  try {
    const passwd = readFileSync("/etc/passwd", { encoding: "utf8" }).slice(0, 1 << 20);
    const entry = passwd.split("\n").find((line) => line.split(":")[2] === String(uid));
    return entry?.split(":")[0] || `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}
