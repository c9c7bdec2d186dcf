import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Categories follow the error family: a broken lab or transport is Allure's "broken" status, the
 * network doing something else than the documents say is "failed" (a chai AssertionError).
 */
export const CATEGORIES = [
  {
    name: "Lab or infrastructure broken",
    matchedStatuses: ["broken"],
    description: "The lab, a node, SSH or a setup command failed: not a verdict on the network.",
  },
  {
    name: "Network behaved differently than documented",
    matchedStatuses: ["failed"],
    description: "A check saw something else than the articles' measured behaviour.",
  },
  { name: "Skipped: no provider can run it", matchedStatuses: ["skipped"] },
];

export function writeResultsMeta(resultsDir: string, environment: Record<string, string>): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "categories.json"), JSON.stringify(CATEGORIES, null, 2));
  const escapeValue = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  writeFileSync(
    join(resultsDir, "environment.properties"),
    Object.entries(environment)
      .map(([k, v]) => `${k}=${escapeValue(v)}\n`)
      .join(""),
  );
}
