import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";
import { PROJECT_ROOT } from "../model/paths.ts";
import { badFileOf, CASES, LAB, SCENARIO, type Work } from "../testing/bad-input-cases.ts";
import { hostSnapshot, strayProcesses } from "../testing/host-snapshot.ts";

/**
 * Bad input, table-driven: every row runs the real CLI and must end with exit 2, a message naming
 * `file:line:col` and the field (or the flag or argument), and nothing changed — not the host's root
 * namespace, not the row's own directory (fixtures, state dir, the canary `victim/` beside it), not
 * the project or $HOME. No row may bring a lab up, so the rows run concurrently.
 */

const BIN = join(PROJECT_ROOT, "bin", "macvlab.js");

/** Every file and directory under `dir`: type, mode, content hash, link target. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    const stat = lstatSync(path);
    const rel = path.slice(dir.length) || "/";
    if (stat.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(path)}`);
    else if (stat.isDirectory()) {
      out.push(`${rel}/ ${stat.mode.toString(8)}`);
      for (const name of readdirSync(path).sort()) walk(join(path, name));
    } else if (stat.isFile())
      out.push(`${rel} ${stat.mode.toString(8)} ${createHash("sha1").update(readFileSync(path)).digest("hex")}`);
    else out.push(`${rel} special ${stat.mode.toString(8)}`);
  };
  walk(dir);
  return out;
}

const listing = (dir: string) => {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
};

interface Outcome {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
}

function cli(args: string[], env: Record<string, string>, cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `jobs` with at most `limit` at once (the CLI's startup is the cost: ~0.8 s of CPU each). */
async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < jobs.length; i = next++) results[i] = await (jobs[i] as () => Promise<T>)();
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

describe("bad input: exit 2, the place or the flag named, nothing changed", function () {
  this.timeout(300_000); // a deadline for 78 CLI runs and their validations, four at a time, on a busy machine
  let root: string;
  let hostBefore: string;
  let straysBefore: string[];
  const outside = () => ({
    project: listing(PROJECT_ROOT),
    reports: listing(join(PROJECT_ROOT, "reports")),
    home: listing(homedir()),
  });
  let outsideBefore: ReturnType<typeof outside>;
  const rows: Array<{ work: Work; before: string[]; outcome?: Outcome; validated?: Outcome }> = [];

  before(async () => {
    hostBefore = hostSnapshot();
    straysBefore = strayProcesses();
    outsideBefore = outside();
    root = mkdtempSync(join(tmpdir(), "macvlab-bad-input-"));
    CASES.forEach((c, i) => {
      const dir = join(root, String(i));
      const work: Work = {
        dir,
        state: join(dir, "state"),
        scenario: join(dir, "scenarios", "demo.yaml"),
        results: join(dir, "results"),
      };
      const files = { "labs/pair.yaml": LAB, "scenarios/demo.yaml": SCENARIO, "victim/precious": "canary", ...c.files };
      for (const [rel, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        writeFileSync(join(dir, rel), text);
      }
      c.setup?.(work);
      rows.push({ work, before: tree(dir) });
    });
    const outcomes = await pool(
      CASES.map((c, i) => () => {
        const work = (rows[i] as (typeof rows)[number]).work;
        return cli(c.args(work), { MACVLAB_STATE_DIR: work.state, ...c.env?.(work) }, c.cwd?.(work) ?? PROJECT_ROOT);
      }),
      4,
    );
    outcomes.forEach((outcome, i) => {
      (rows[i] as { outcome?: Outcome }).outcome = outcome;
    });
    // The same files through `validate`, after `run`: the tree checks below then cover both.
    const fileRows = CASES.flatMap((c, i) => {
      const file = badFileOf(c);
      return file ? [{ i, file, c }] : [];
    });
    const validated = await pool(
      fileRows.map(({ i, file, c }) => () => {
        const work = (rows[i] as (typeof rows)[number]).work;
        return cli(["validate", file(work)], { MACVLAB_STATE_DIR: work.state, ...c.env?.(work) }, PROJECT_ROOT);
      }),
      4,
    );
    fileRows.forEach(({ i }, k) => {
      (rows[i] as { validated?: Outcome }).validated = validated[k];
    });
  });

  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it(`has at least 30 rows (${CASES.length})`, () => expect(CASES.length).to.be.at.least(30));

  CASES.forEach((c, i) => {
    it(c.name, () => {
      const { work, before, outcome } = rows[i] as (typeof rows)[number];
      if (!outcome) throw new Error("the CLI did not run");
      const said = `stdout:\n${outcome.stdout}\nstderr:\n${outcome.stderr}`;
      expect(outcome.code, said).to.equal(2);
      expect(outcome.stderr, said).to.match(c.says(work));
      expect(outcome.stderr, "a bad input is a message, not a stack trace").not.to.match(/\n\s+at /);
      expect(tree(work.dir), "the row's directory (fixtures, state dir, canary) changed").to.deep.equal(before);
      expect(readFileSync(join(work.dir, "victim", "precious"), "utf8")).to.equal("canary");
    });
  });

  describe("`validate` refuses every bad file with run's own words, without a lab", () => {
    it("covers the rows about a file (at least 30)", () =>
      expect(rows.filter((r) => r.validated).length).to.be.at.least(30));
    // `run` heads its refusal "refusing to run: …", `validate` "N of M file(s) have errors": the rest is one text.
    const body = (stderr: string) => (/file\(s\) have errors\n/.test(stderr) ? stderr.split("\n").slice(1) : [stderr]);
    CASES.forEach((c, i) => {
      if (!badFileOf(c)) return;
      it(c.name, () => {
        const { outcome, validated, work } = rows[i] as (typeof rows)[number];
        if (!outcome || !validated) throw new Error("the CLI did not run");
        const said = `validate's stderr:\n${validated.stderr}\nrun's stderr:\n${outcome.stderr}`;
        expect(validated.code, said).to.equal(2);
        expect(validated.stdout, said).to.equal("");
        expect(validated.stderr, said).to.match(c.says(work));
        expect(body(validated.stderr), said).to.deep.equal(body(outcome.stderr));
      });
    });
  });

  it("left the host's root namespace, the project and $HOME as they were", () => {
    expect(hostSnapshot(), "host root namespace changed").to.equal(hostBefore);
    const stray = strayProcesses().filter((p) => !straysBefore.includes(p));
    expect(stray, "processes left behind").to.deep.equal([]);
    expect(outside()).to.deep.equal(outsideBefore);
  });
});
