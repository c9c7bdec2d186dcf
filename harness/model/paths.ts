import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Every place macvlab reads or writes by default is named here, and only here. */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const LABS_DIR = join(PROJECT_ROOT, "labs");
export const SCENARIOS_DIR = join(PROJECT_ROOT, "scenarios");
const REPORTS_DIR = join(PROJECT_ROOT, "reports");
export const DEFAULT_RESULTS_DIR = join(REPORTS_DIR, "allure-results");
export const RUBRIC_RESULTS_DIR = join(REPORTS_DIR, "rubric-results");
export const REPORT_DIR = join(REPORTS_DIR, "allure-report");
export const GRADE_JSON = join(REPORTS_DIR, "grade.json");
export const GRADE_JUNIT = join(REPORTS_DIR, "grade-junit.xml");

/** One directory per provider and lab, like test-kitchen's `.kitchen/`: what `down` needs survives a crash. */
export function stateDir(provider: string, lab?: string): string {
  const root = process.env.MACVLAB_STATE_DIR ?? join(PROJECT_ROOT, ".macvlab");
  return lab === undefined ? join(root, provider) : join(root, provider, lab);
}
