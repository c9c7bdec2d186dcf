import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";
import { InputError } from "../model/errors.ts";
import { DEFAULT_STATE_ROOT, PROJECT_ROOT } from "../model/paths.ts";
import { checkOutputDir, OUTPUT_MARKER, prepareOutputDir } from "./output-dir.ts";

describe("output directories", () => {
  let work: string;
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), "macvlab-output-"))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const refused = (dir: string, why: RegExp) =>
    expect(() => prepareOutputDir(dir, "--results")).to.throw(InputError, why);

  it("refuses /, $HOME, the project, the working directory, the state directory and what contains them", () => {
    refused("/", /--results \/: refusing it: it is the filesystem root/);
    refused(homedir(), /it is your home directory/);
    refused(PROJECT_ROOT, /it is the project/);
    refused(".", /it is (the project|the working directory)/);
    refused(dirname(PROJECT_ROOT), /it contains the project/);
    refused(DEFAULT_STATE_ROOT, /it is the (default )?lab state directory/);
  });

  it("refuses a symlink, a file, and a non-empty directory macvlab did not make, touching nothing", () => {
    mkdirSync(join(work, "mine"));
    writeFileSync(join(work, "mine", "thesis.tex"), "precious");
    symlinkSync(join(work, "mine"), join(work, "link"));
    refused(join(work, "link"), /it is a symbolic link/);
    refused(join(work, "mine", "thesis.tex"), /it is not a directory/);
    refused(join(work, "mine"), /it is not empty and macvlab did not make it \(no \.macvlab-output file/);
    expect(readdirSync(join(work, "mine"))).to.deep.equal(["thesis.tex"]);
  });

  it("creates and marks a new directory, and later clears only what is in it", () => {
    const dir = join(work, "results");
    expect(prepareOutputDir(dir, "--results")).to.equal(dir);
    expect(readdirSync(dir)).to.deep.equal([OUTPUT_MARKER]);
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "a-result.json"), "{}");
    writeFileSync(join(work, "beside"), "kept");
    prepareOutputDir(dir, "--results");
    expect(readdirSync(dir)).to.deep.equal([OUTPUT_MARKER]);
    expect(existsSync(join(work, "beside"))).to.equal(true);
  });

  it("adopts an empty directory by marking it", () => {
    mkdirSync(join(work, "empty"));
    prepareOutputDir(join(work, "empty"), "--output");
    expect(readdirSync(join(work, "empty"))).to.deep.equal([OUTPUT_MARKER]);
  });

  it("checks without creating anything", () => {
    expect(checkOutputDir(join(work, "new"), "--results")).to.equal(join(work, "new"));
    expect(existsSync(join(work, "new"))).to.equal(false);
  });
});
