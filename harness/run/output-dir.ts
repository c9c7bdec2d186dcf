import { lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { InputError, OutputError } from "../model/errors.ts";
import { DEFAULT_STATE_ROOT, PROJECT_ROOT, REPORTS_DIR, stateRoot } from "../model/paths.ts";

/**
 * The file that makes a directory the harness's own output: only a directory carrying it is ever
 * cleared. Its text says what it is, for whoever finds it.
 */
export const OUTPUT_MARKER = ".macvlab-output";
const MARKER_TEXT = "macvlab output directory: macvlab clears it before each run. Remove this file to keep it.\n";

/**
 * Refuses an output directory the harness must never clear, before anything is created: the filesystem
 * root, `$HOME`, the project, the working directory, the state directory, any directory containing one
 * of them, a symlink, a file, or a non-empty directory that is not marked as macvlab's. `flag` names
 * the option in the message (`--results`, `--output`). Returns the absolute path.
 */
export function checkOutputDir(dir: string, flag: string): string {
  const target = resolve(dir);
  const refuse = (why: string) => new InputError(`${flag} ${dir}: refusing it: ${why}`);
  if (target === "/") throw refuse("it is the filesystem root");
  const guarded: Array<[string, string]> = [
    ["your home directory", homedir()],
    ["the project", PROJECT_ROOT],
    ["the working directory", process.cwd()],
    ["the lab state directory", stateRoot()],
    ["the default lab state directory", DEFAULT_STATE_ROOT],
  ];
  // Both spellings of each side: a symlinked /tmp or a home reached through a link is still home.
  for (const [what, path] of guarded)
    for (const guard of new Set([resolve(path), realpathOrSelf(path)]))
      for (const form of new Set([target, realpathOrSelf(target)]))
        if (form === guard) throw refuse(`it is ${what}`);
        else if (guard.startsWith(form.endsWith(sep) ? form : form + sep))
          throw refuse(`it contains ${what} (${guard})`);
  const stat = lstatOrUndefined(target);
  if (stat === undefined) return target;
  if (stat.isSymbolicLink()) throw refuse("it is a symbolic link; name the directory itself");
  if (!stat.isDirectory()) throw refuse("it is not a directory");
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.includes(OUTPUT_MARKER) && dirname(target) !== REPORTS_DIR)
    throw refuse(
      `it is not empty and macvlab did not make it (no ${OUTPUT_MARKER} file in it); choose a new or empty directory`,
    );
  return target;
}

/**
 * Makes `dir` ready for a run's output: created and marked when missing (or empty), emptied when it is
 * marked as macvlab's. Everything `checkOutputDir` refuses is refused here too, before any change.
 */
export function prepareOutputDir(dir: string, flag: string): string {
  const target = checkOutputDir(dir, flag);
  try {
    mkdirSync(target, { recursive: true });
    // Only a marked directory, or one the harness owns by name (reports/*), gets here non-empty.
    for (const entry of readdirSync(target))
      if (entry !== OUTPUT_MARKER) rmSync(join(target, entry), { recursive: true, force: true });
    writeFileSync(join(target, OUTPUT_MARKER), MARKER_TEXT);
  } catch (error) {
    throw new OutputError(`${flag} ${dir}: cannot prepare the directory: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return target;
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
