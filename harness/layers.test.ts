import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { expect } from "chai";
import { PROJECT_ROOT } from "./model/paths.ts";

/**
 * The folders of harness/, lowest first: a module may import from its own folder and from folders
 * listed before it, never after. `testing/` holds helpers for tests only.
 */
const LAYERS = [
  "model",
  "transport",
  "parse",
  "expect",
  "checks",
  "scenario",
  "providers",
  "run",
  "report",
  "deploy",
  "cli",
];
const HARNESS = join(PROJECT_ROOT, "harness");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "fixtures" ? [] : sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const layerOf = (file: string) => relative(HARNESS, file).split(sep)[0] ?? "";

describe("layers", () => {
  it("every folder of harness/ has a place in the order", () => {
    const folders = readdirSync(HARNESS, { withFileTypes: true })
      // .build holds the CLI's bundle (bin/macvlab.js), made from these folders: not a layer of its own.
      .filter((e) => e.isDirectory() && e.name !== ".build")
      .map((e) => e.name);
    expect(folders.filter((f) => f !== "testing" && !LAYERS.includes(f))).to.deep.equal([]);
  });

  it("imports point down the layers, never up", () => {
    const upward: string[] = [];
    for (const file of sources(HARNESS)) {
      const from = layerOf(file);
      if (!LAYERS.includes(from)) continue;
      for (const match of readFileSync(file, "utf8").matchAll(/^import[^"]*"(\.[^"]+)"/gm)) {
        const to = layerOf(resolve(file, "..", match[1] ?? ""));
        if (LAYERS.indexOf(to) > LAYERS.indexOf(from) || to === "testing")
          upward.push(`${relative(HARNESS, file)} imports ${to}/ (${match[1]})`);
      }
    }
    expect(upward).to.deep.equal([]);
  });
});
