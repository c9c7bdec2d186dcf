import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { InputError } from "../model/errors.ts";
import { PROJECT_ROOT } from "../model/paths.ts";
import { checkOutputDir, prepareOutputDir } from "../run/output-dir.ts";
import { mergeTimings, readTimings, TIMINGS_FILE, writeTimings } from "../run/timings.ts";

export interface HtmlRequest {
  /** One run's results, or every shard's: one report of them all. */
  readonly resultsDirs: readonly string[];
  readonly reportDir: string;
  /** Allure's history (JSON lines, one per report): trends and new / fixed / regressed across runs. */
  readonly historyFile?: string;
  /** How many earlier reports the history keeps. */
  readonly historyLimit: number;
}

/**
 * The Allure 3 configuration `macvlab report` renders with: the tree by scenario, then checks, negative
 * controls with their restores, and cleanup (instead of one node per folder of the results); the history.
 */
export function allureConfig(request: Pick<HtmlRequest, "historyFile" | "historyLimit">): Record<string, unknown> {
  return {
    name: "macvlab",
    ...(request.historyFile ? { historyPath: resolve(request.historyFile), historyLimit: request.historyLimit } : {}),
    plugins: {
      awesome: { options: { reportName: "macvlab", groupBy: ["parentSuite", "suite", "subSuite"] } },
    },
  };
}

/**
 * Allure Report 3 (npm `allure`, pure TypeScript): HTML from the results without Java. With a history
 * file, the scenarios' timings of these results are kept beside it, for `run --shard` to balance by.
 */
export async function generateHtml(request: HtmlRequest): Promise<string> {
  const { reportDir } = request;
  checkOutputDir(reportDir, "--output");
  for (const dir of request.resultsDirs)
    if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith("-result.json")))
      throw new InputError(`no Allure results in ${dir}: run \`macvlab run\` first`);
  prepareOutputDir(reportDir, "--output");
  if (request.historyFile) mkdirSync(dirname(resolve(request.historyFile)), { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), "macvlab-report-"));
  try {
    const config = join(scratch, "allurerc.json");
    writeFileSync(config, JSON.stringify(allureConfig(request)));
    const bin = join(PROJECT_ROOT, "node_modules", ".bin", "allure");
    const code = await new Promise<number>((done) => {
      const child = spawn(
        bin,
        ["generate", ...request.resultsDirs, "--config", config, "--output", reportDir, "--report-name", "macvlab"],
        { stdio: ["ignore", "inherit", "inherit"] },
      );
      child.on("exit", (c) => done(c ?? 1));
      child.on("error", () => done(127));
    });
    if (code !== 0) throw new Error(`allure generate exited with ${code}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (request.historyFile) {
    const kept = join(dirname(resolve(request.historyFile)), "timings.json");
    const timings = request.resultsDirs.map((dir) => readTimings(join(dir, TIMINGS_FILE)));
    writeTimings(dirname(kept), mergeTimings(readTimings(kept), ...timings), "timings.json");
  }
  return join(reportDir, "index.html");
}
