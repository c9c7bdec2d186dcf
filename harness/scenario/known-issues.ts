import { existsSync } from "node:fs";
import { z } from "zod";
import { InputError } from "../model/errors.ts";
import { display, YamlSource } from "../model/yaml-source.ts";
import type { Scenario } from "./schema.ts";

/** `scenario-id/check-id`: the testCaseId every report already uses for a check. */
const CheckRef = z
  .string()
  .regex(
    /^[a-z0-9]+(?:-[a-z0-9]+)*\/[a-z0-9]+(?:-[a-z0-9]+)*$/,
    "scenario-id/check-id, e.g. l3-routed/box1-reaches-box4",
  );

const KnownIssue = z
  .object({
    check: CheckRef,
    /** Why it fails: what is wrong and where (the kernel, the article, the harness). */
    reason: z.string().trim().min(10, "say why it fails, in a sentence"),
    /** Where it is tracked. */
    link: z.url({ protocol: /^https?$/, error: "an http(s) URL where the failure is tracked" }),
  })
  .strict();

export const KnownIssuesSchema = z.array(KnownIssue);
export type KnownIssue = z.infer<typeof KnownIssue>;

/** Known failures by check (`scenario/check`): reported as known, not failing the run or the gate. */
export type KnownIssues = ReadonlyMap<string, KnownIssue>;

export const NO_KNOWN_ISSUES: KnownIssues = new Map();

/**
 * Reads a known-issues file; an entry for one of `scenarios` must name a check it has (a stale entry would
 * silently excuse nothing), once. Entries for other scenarios are not a run's business unless `whole`
 * says these are all of them (`macvlab validate`). Errors carry file:line:col.
 */
export function loadKnownIssues(
  file: string,
  scenarios: readonly Scenario[],
  /** `scenarios` is the whole suite: an entry for any other scenario is stale too. */
  whole = false,
): KnownIssues {
  const source = YamlSource.read(file);
  const entries = source.data === null ? [] : source.validate(KnownIssuesSchema, "known-issues file");
  const checks = new Set(scenarios.flatMap((s) => s.checks.map((c) => `${s.id}/${c.id}`)));
  const ids = new Set(scenarios.map((s) => s.id));
  const known = new Map<string, KnownIssue>();
  const issues: string[] = [];
  entries.forEach((entry, i) => {
    const scenario = entry.check.split("/")[0] ?? "";
    if (!ids.has(scenario) && !whole) return;
    if (!checks.has(entry.check))
      issues.push(
        source.issue(
          [i, "check"],
          ids.has(scenario)
            ? `no check ${entry.check} in scenario ${scenario} (scenario-id/check-id)`
            : `no scenario ${scenario} (scenario-id/check-id)`,
        ),
      );
    else if (known.has(entry.check)) issues.push(source.issue([i, "check"], `${entry.check} is listed twice`));
    known.set(entry.check, entry);
  });
  if (issues.length) throw new InputError(`${display(file)}: invalid known-issues file`, issues);
  return known;
}

/** The known issues of a run: the file given, else the default file when it exists, else none. */
export function knownIssuesFor(
  file: string | undefined,
  defaultFile: string,
  scenarios: readonly Scenario[],
): KnownIssues {
  if (file !== undefined) return loadKnownIssues(file, scenarios);
  return existsSync(defaultFile) ? loadKnownIssues(defaultFile, scenarios) : NO_KNOWN_ISSUES;
}
