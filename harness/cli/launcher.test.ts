import { execFileSync } from "node:child_process";
import { readFileSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { CLI_ENTRY, PROJECT_ROOT } from "../model/paths.ts";

const BUNDLE = join(PROJECT_ROOT, "harness", ".build", "macvlab.mjs");
const INPUTS = join(PROJECT_ROOT, "harness", ".build", "macvlab.inputs.json");
const SOURCE = "harness/model/names.ts";

const start = () => execFileSync(process.execPath, [CLI_ENTRY, "--help"], { encoding: "utf8", timeout: 60_000 });

describe("bin/macvlab.js, the CLI's bundle", function () {
  this.timeout(120_000);

  it("is built from the sources, reused while they are unchanged, and rebuilt when one changes", () => {
    expect(start()).to.include("Usage: macvlab");
    const inputs = JSON.parse(readFileSync(INPUTS, "utf8")) as Record<string, [number, number]>;
    expect(Object.keys(inputs)).to.include.members(["harness/cli/main.ts", SOURCE]);
    const built = statSync(BUNDLE).mtimeMs;

    start();
    expect(statSync(BUNDLE).mtimeMs, "rebuilt with nothing changed").to.equal(built);

    // A source touched (as an edit or a checkout does): the next command builds again and records it.
    const touched = new Date(Math.floor(Date.now() / 1000) * 1000 + 1000);
    utimesSync(join(PROJECT_ROOT, SOURCE), touched, touched);
    expect(start()).to.include("Usage: macvlab");
    expect(statSync(BUNDLE).mtimeMs, "not rebuilt after a source changed").to.be.greaterThan(built);
    const after = JSON.parse(readFileSync(INPUTS, "utf8")) as Record<string, [number, number]>;
    expect(after[SOURCE]?.[0]).to.equal(touched.getTime());
  });
});
