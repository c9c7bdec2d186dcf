import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { InputError } from "./errors.ts";
import { imageCacheDir, labStateNames, stateDir, stateRoot } from "./paths.ts";

describe("state paths", () => {
  let work: string;
  let saved: string | undefined;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "macvlab-paths-"));
    saved = process.env.MACVLAB_STATE_DIR;
    process.env.MACVLAB_STATE_DIR = join(work, "state");
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.MACVLAB_STATE_DIR;
    else process.env.MACVLAB_STATE_DIR = saved;
    rmSync(work, { recursive: true, force: true });
  });

  it("puts a lab's state exactly at <root>/<provider>/<lab>", () => {
    expect(stateDir("netns", "two-hosts")).to.equal(join(work, "state", "netns", "two-hosts"));
    expect(stateDir("uml")).to.equal(join(work, "state", "uml"));
  });

  for (const hostile of ["../../victim", "..", ".", "", "x;rm", "-rf", "a/b", "Two-Hosts", "näme", "x".repeat(64)])
    it(`refuses the lab name ${JSON.stringify(hostile.length > 20 ? `${hostile.slice(0, 8)}…` : hostile)}`, () => {
      expect(() => stateDir("netns", hostile)).to.throw(InputError, /is not a lab name/);
    });

  it("refuses a provider name that is not an id", () => {
    expect(() => stateDir("../netns", "two-hosts")).to.throw(InputError, /provider "\.\.\/netns" is not an id/);
  });

  it("refuses a symlinked provider root or lab directory (a deletion would follow it)", () => {
    mkdirSync(join(work, "elsewhere"));
    mkdirSync(join(work, "state", "uml"), { recursive: true });
    symlinkSync(join(work, "elsewhere"), join(work, "state", "netns"));
    expect(() => stateDir("netns", "two-hosts")).to.throw(InputError, /state\/netns: it is a symbolic link/);
    symlinkSync(join(work, "elsewhere"), join(work, "state", "uml", "trunk"));
    expect(() => stateDir("uml", "trunk")).to.throw(InputError, /uml\/trunk: it is a symbolic link/);
  });

  it("lists only real directories named like labs", () => {
    const root = join(work, "state", "netns");
    mkdirSync(join(root, "two-hosts"), { recursive: true });
    mkdirSync(join(root, "Bad Name"));
    mkdirSync(join(root, ".hidden"));
    writeFileSync(join(root, "trunk"), "a file, not a lab");
    symlinkSync(work, join(root, "routed"));
    expect(labStateNames("netns")).to.deep.equal(["two-hosts"]);
    expect(labStateNames("uml")).to.deep.equal([]);
  });

  it("keeps the engines' image cache below the state root, or where a parent run says, never at / or relative", () => {
    const saved = process.env.MACVLAB_IMAGE_CACHE;
    try {
      delete process.env.MACVLAB_IMAGE_CACHE;
      expect(imageCacheDir()).to.equal(join(work, "state", "cache", "images"));
      process.env.MACVLAB_IMAGE_CACHE = join(work, "parent", "images");
      expect(imageCacheDir()).to.equal(join(work, "parent", "images"));
      for (const hostile of ["/", "/..", "relative/images", ""]) {
        process.env.MACVLAB_IMAGE_CACHE = hostile;
        expect(() => imageCacheDir(), hostile).to.throw(InputError, /MACVLAB_IMAGE_CACHE/);
      }
    } finally {
      if (saved === undefined) delete process.env.MACVLAB_IMAGE_CACHE;
      else process.env.MACVLAB_IMAGE_CACHE = saved;
    }
  });

  it("refuses / and an empty MACVLAB_STATE_DIR, and resolves a relative one", () => {
    process.env.MACVLAB_STATE_DIR = "/";
    expect(() => stateRoot()).to.throw(InputError, /MACVLAB_STATE_DIR=\/: refusing the filesystem root/);
    process.env.MACVLAB_STATE_DIR = "/tmp/../";
    expect(() => stateRoot()).to.throw(InputError, /refusing the filesystem root/);
    process.env.MACVLAB_STATE_DIR = "";
    expect(() => stateRoot()).to.throw(InputError, /MACVLAB_STATE_DIR is set but empty/);
    process.env.MACVLAB_STATE_DIR = "rel/state";
    expect(stateRoot()).to.equal(join(process.cwd(), "rel", "state"));
  });
});
