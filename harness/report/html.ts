import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../model/errors.ts";
import { PROJECT_ROOT } from "../model/paths.ts";
import { checkOutputDir, prepareOutputDir } from "../run/output-dir.ts";

/** Allure Report 3 (npm `allure`, pure TypeScript): HTML from the results without Java. */
export async function generateHtml(resultsDir: string, reportDir: string): Promise<string> {
  checkOutputDir(reportDir, "--output");
  if (!existsSync(resultsDir) || !readdirSync(resultsDir).some((f) => f.endsWith("-result.json")))
    throw new InputError(`no Allure results in ${resultsDir}: run \`macvlab run\` first`);
  prepareOutputDir(reportDir, "--output");
  const bin = join(PROJECT_ROOT, "node_modules", ".bin", "allure");
  const code = await new Promise<number>((resolve) => {
    const config = join(PROJECT_ROOT, "allurerc.mjs");
    const child = spawn(
      bin,
      ["generate", resultsDir, "--config", config, "--output", reportDir, "--report-name", "macvlab"],
      {
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    child.on("exit", (c) => resolve(c ?? 1));
    child.on("error", () => resolve(127));
  });
  if (code !== 0) throw new Error(`allure generate exited with ${code}`);
  return join(reportDir, "index.html");
}
