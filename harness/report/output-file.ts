import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { OutputError } from "../model/errors.ts";

/** Writes a file a flag named (its folder made if missing); a failure is an OutputError naming the flag. */
export function writeOutputFile(file: string, text: string, flag: string): void {
  try {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, text);
  } catch (error) {
    throw new OutputError(`${flag} ${file}: cannot write it: ${(error as Error).message}`);
  }
}

/** Appends to a file a flag named (a CI job summary collects several steps' parts). */
export function appendOutputFile(file: string, text: string, flag: string): void {
  try {
    appendFileSync(file, text);
  } catch (error) {
    throw new OutputError(`${flag} ${file}: cannot append to it: ${(error as Error).message}`);
  }
}
