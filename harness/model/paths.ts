import { accessSync, constants, existsSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "./errors.ts";
import { checkName, Id, LabName } from "./names.ts";

/** Every place macvlab reads or writes by default is named here, and only here. */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const LABS_DIR = join(PROJECT_ROOT, "labs");
export const SCENARIOS_DIR = join(PROJECT_ROOT, "scenarios");
/** JSON Schemas of lab and scenario files, generated from the models, for editors and other tools. */
export const SCHEMAS_DIR = join(PROJECT_ROOT, "schemas");
/** Generated output only (gitignored): the harness may adopt what it finds directly inside. */
export const REPORTS_DIR = join(PROJECT_ROOT, "reports");
export const DEFAULT_RESULTS_DIR = join(REPORTS_DIR, "allure-results");
export const RUBRIC_RESULTS_DIR = join(REPORTS_DIR, "rubric-results");
export const REPORT_DIR = join(REPORTS_DIR, "allure-report");
/** What `macvlab report` carries from run to run: Allure's history (trends, new/fixed/regressed) and the timings. */
export const HISTORY_DIR = join(REPORTS_DIR, "history");
export const HISTORY_FILE = join(HISTORY_DIR, "history.jsonl");
/** The scenarios' last measured durations, which `--shard` balances by (the same file on every machine). */
export const HISTORY_TIMINGS = join(HISTORY_DIR, "timings.json");
/** Failures known and tracked elsewhere: reported as known, not failing a run or the gate. */
export const KNOWN_ISSUES_FILE = join(PROJECT_ROOT, "known-issues.yaml");
/** `macvlab graph`'s pictures when no --output is given. */
export const TOPOLOGY_DIR = join(REPORTS_DIR, "topology");
export const GRADE_JSON = join(REPORTS_DIR, "grade.json");
export const GRADE_JUNIT = join(REPORTS_DIR, "grade-junit.xml");
/** A class's grades, one directory per student (`grade --as s-042`), and the class summary beside them. */
export const CLASS_REPORTS_DIR = join(REPORTS_DIR, "class");
export const DEFAULT_STATE_ROOT = join(PROJECT_ROOT, ".macvlab");
/** The command line's entry point: a parallel run starts its jobs through it. */
export const CLI_ENTRY = join(PROJECT_ROOT, "bin", "macvlab.js");
/** The hidden command (`keep <provider> <lab>`) a provider starts to hold a lab for later commands (Provider.keep). */
export const KEEP_COMMAND = "keep";

/** Where every provider's lab state lives: `$MACVLAB_STATE_DIR`, else `<project>/.macvlab`. */
export function stateRoot(): string {
  const configured = process.env.MACVLAB_STATE_DIR;
  if (configured === undefined) return DEFAULT_STATE_ROOT;
  if (configured.trim() === "")
    throw new InputError("MACVLAB_STATE_DIR is set but empty: unset it, or give it a directory of its own");
  // Relative paths would move with the working directory between `up` and `down`.
  const root = resolve(configured);
  if (root === "/")
    throw new InputError(
      `MACVLAB_STATE_DIR=${configured}: refusing the filesystem root as the state directory; give it a directory of its own${isAbsolute(configured) ? "" : ` (it resolves to ${root})`}`,
    );
  return root;
}

/**
 * The busybox image the nodes' Docker engines import, built once and kept between runs: below the
 * state root, or where `MACVLAB_IMAGE_CACHE` says (a parallel run's jobs share their parent's this way).
 */
export function imageCacheDir(): string {
  const configured = process.env.MACVLAB_IMAGE_CACHE;
  if (configured === undefined) return join(stateRoot(), "cache", "images");
  if (!isAbsolute(configured) || resolve(configured) === "/")
    throw new InputError(`MACVLAB_IMAGE_CACHE=${configured}: give it an absolute directory of its own`);
  return resolve(configured);
}

/**
 * The state root, created (0700) if missing and proven writable before a command makes anything: a
 * read-only or full filesystem is then one clear message naming the directory, not an error halfway
 * through a lab build. access(2) reports a read-only filesystem even to root.
 */
export function writableStateRoot(): string {
  const root = stateRoot();
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    accessSync(root, constants.W_OK);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new InputError(
      `state directory ${root} cannot be written (${code ?? message}${code === "EROFS" ? ": read-only file system" : ""}); set MACVLAB_STATE_DIR to a writable directory of its own`,
    );
  }
  return root;
}

/**
 * One directory per provider and lab, like test-kitchen's `.kitchen/`: what `down` needs survives a
 * crash. Teardown deletes below this path, so it must be exactly `<root>/<provider>/<lab>`: both names
 * pass the id rule, and neither directory may be a symlink (which would point the deletion elsewhere).
 */
export function stateDir(provider: string, lab?: string): string {
  checkName(Id, provider, "provider");
  const providerRoot = join(stateRoot(), provider);
  refuseSymlink(providerRoot);
  if (lab === undefined) return providerRoot;
  checkName(LabName, lab, "lab");
  const dir = resolve(providerRoot, lab);
  if (dirname(dir) !== providerRoot)
    throw new InputError(`lab ${JSON.stringify(lab)}: its state would not be a direct child of ${providerRoot}`);
  refuseSymlink(dir);
  return dir;
}

/**
 * The state root of job `index` of a parallel run: `<root>/jobs/<index>`, created (0700). Each job
 * builds its labs there, so two jobs may run the same lab at once, as two state dirs on one host do.
 * Neither directory may be a symlink: the job's teardown deletes below it.
 */
export function jobStateRoot(index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > 999) throw new InputError(`job ${index}: not a job number`);
  const jobs = join(stateRoot(), "jobs");
  const root = join(jobs, String(index));
  for (const dir of [jobs, root]) {
    refuseSymlink(dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  return root;
}

/** The job state roots a parallel run left here (`<root>/jobs/<n>`): real directories with job numbers as names. */
export function jobStateRoots(): string[] {
  const jobs = join(stateRoot(), "jobs");
  if (!isRealDirectory(jobs)) return [];
  return readdirSync(jobs)
    .filter((name) => /^[1-9][0-9]{0,2}$/.test(name) && isRealDirectory(join(jobs, name)))
    .sort((a, b) => Number(a) - Number(b))
    .map((name) => join(jobs, name));
}

/** Labs with state under a provider's root (of this state root, or of `stateRootDir`): entries that are lab names and real directories, nothing else. */
export function labStateNames(provider: string, stateRootDir?: string): string[] {
  let root = stateDir(provider);
  if (stateRootDir !== undefined) {
    root = join(stateRootDir, provider);
    refuseSymlink(root);
  }
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  return entries.filter((name) => LabName.safeParse(name).success && isRealDirectory(join(root, name))).sort();
}

function isRealDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

function refuseSymlink(path: string): void {
  let link = false;
  try {
    link = lstatSync(path).isSymbolicLink();
  } catch {
    return; // not there yet: whoever creates it makes a real directory
  }
  if (link)
    throw new InputError(
      `refusing state directory ${path}: it is a symbolic link (the harness deletes below its state directories, so they must be its own); remove the link`,
    );
}

/** Where the students of a class keep their labs: a state root each, below this one (`--as s-042`). */
export function classRoot(): string {
  return join(stateRoot(), "class");
}

/** The state roots of the class's students that exist, by student id. */
export function classMembers(): Array<{ student: string; root: string }> {
  const dir = classRoot();
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.isSymbolicLink() && Id.safeParse(e.name).success)
    .map((e) => ({ student: e.name, root: join(dir, e.name) }))
    .sort((a, b) => a.student.localeCompare(b.student));
}

/** Where the articles the scenarios come from are kept, beside this project (`../shared/seeds`). */
export const ARTICLES_DIR = resolve(PROJECT_ROOT, "..", "shared", "seeds");

/** An article's file by its seed number (`001` → `001_<hash>.txt`), if it is here. */
export function articleFile(seed: string): string | undefined {
  if (!/^\d{3}$/.test(seed) || !existsSync(ARTICLES_DIR)) return undefined;
  const name = readdirSync(ARTICLES_DIR).find((f) => f.startsWith(`${seed}_`) && f.endsWith(".txt"));
  return name ? join(ARTICLES_DIR, name) : undefined;
}
