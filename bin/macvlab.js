#!/usr/bin/env node
// The harness is TypeScript. Compiling it through tsx at every start cost over 2 s of CPU, most of a
// command's start, and the suite starts hundreds (jobs, tests, CI): so the CLI runs from one bundle,
// rebuilt by esbuild whenever a file it was built from changed (each input's mtime and size are kept
// beside it), and from the sources through tsx where no bundle can be written (a read-only checkout).
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
// Two levels below the root, as harness/model/paths.ts is: its PROJECT_ROOT (from import.meta.url) holds in the bundle too.
const buildDir = join(root, "harness", ".build");
const bundle = join(buildDir, "macvlab.mjs");
const inputsFile = join(buildDir, "macvlab.inputs.json");

/** Every input the bundle was built from is as it was then. */
function bundleIsFresh() {
  try {
    const inputs = JSON.parse(readFileSync(inputsFile, "utf8"));
    return Object.entries(inputs).every(([path, [mtimeMs, size]]) => {
      const now = statSync(join(root, path));
      return now.mtimeMs === mtimeMs && now.size === size;
    });
  } catch {
    return false;
  }
}

/** Builds beside the old bundle and renames over it: processes starting at once never read half a file. */
async function buildBundle() {
  const { build } = await import("esbuild");
  mkdirSync(buildDir, { recursive: true });
  const part = `${bundle}.${process.pid}.part`;
  const result = await build({
    absWorkingDir: root,
    entryPoints: ["harness/cli/main.ts"],
    outfile: part,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    keepNames: true,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = {};
  for (const path of Object.keys(result.metafile.inputs)) {
    const now = statSync(join(root, path));
    inputs[path] = [now.mtimeMs, now.size];
  }
  renameSync(part, bundle);
  writeFileSync(`${inputsFile}.${process.pid}.part`, JSON.stringify(inputs));
  renameSync(`${inputsFile}.${process.pid}.part`, inputsFile);
}

let fromBundle = bundleIsFresh();
if (!fromBundle)
  fromBundle = await buildBundle().then(
    () => true,
    () => false,
  );
if (fromBundle) await import(pathToFileURL(bundle).href);
else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../harness/cli/main.ts");
}
