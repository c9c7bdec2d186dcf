import { accessSync, constants, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "./errors.ts";
import { checkName, Id, LabName } from "./names.ts";

/** Every place macvlab reads or writes by default is named here, and only here. */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const LABS_DIR = join(PROJECT_ROOT, "labs");
export const SCENARIOS_DIR = join(PROJECT_ROOT, "scenarios");
/** Generated output only (gitignored): the harness may adopt what it finds directly inside. */
export const REPORTS_DIR = join(PROJECT_ROOT, "reports");
export const DEFAULT_RESULTS_DIR = join(REPORTS_DIR, "allure-results");
export const RUBRIC_RESULTS_DIR = join(REPORTS_DIR, "rubric-results");
export const REPORT_DIR = join(REPORTS_DIR, "allure-report");
export const GRADE_JSON = join(REPORTS_DIR, "grade.json");
export const GRADE_JUNIT = join(REPORTS_DIR, "grade-junit.xml");
export const DEFAULT_STATE_ROOT = join(PROJECT_ROOT, ".macvlab");

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

/** Labs with state under a provider's root: entries that are lab names and real directories, nothing else. */
export function labStateNames(provider: string): string[] {
  const root = stateDir(provider);
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
