import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { z } from "zod";
import { InputError } from "../model/errors.ts";
import { display } from "../model/yaml-source.ts";

/** Allure's history keeps `historyLimit` reports; a file far past that is not one `report` wrote. */
const MAX_HISTORY_BYTES = 64 * 1024 * 1024;

const HistoryItem = z.object({
  status: z.string(),
  name: z.string().optional(),
  labels: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});
const HistoryPoint = z.object({ timestamp: z.number(), testResults: z.record(z.string(), HistoryItem) });

/** One check over the history: how often it ran, failed, and passed only when judged again. */
export interface FlakeRow {
  readonly check: string;
  readonly runs: number;
  readonly failures: number;
  readonly flaky: number;
  readonly known: number;
}

/**
 * Per check, over every report the history holds: runs, failures (known issues apart) and flaky passes.
 * A check is named by its scenario and title, so a check run on two providers is one row.
 */
export function flakeRows(historyFile: string): FlakeRow[] {
  const rows = new Map<string, { runs: number; failures: number; flaky: number; known: number }>();
  readLines(historyFile).forEach((line, i) => {
    if (!line.trim()) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new InputError(`${display(historyFile)}:${i + 1}:1: not JSON (${(error as Error).message})`);
    }
    const point = HistoryPoint.safeParse(parsed);
    if (!point.success)
      throw new InputError(
        `${display(historyFile)}:${i + 1}:1: not an Allure history entry (${point.error.issues[0]?.path.join(".")}: ${point.error.issues[0]?.message})`,
      );
    for (const [historyId, item] of Object.entries(point.data.testResults)) {
      const check = checkName(historyId, item);
      const tags = new Set((item.labels ?? []).filter((l) => l.name === "tag").map((l) => l.value));
      const row = rows.get(check) ?? { runs: 0, failures: 0, flaky: 0, known: 0 };
      row.runs += 1;
      if (tags.has("known-issue")) row.known += 1;
      else if (item.status === "failed" || item.status === "broken") row.failures += 1;
      if (tags.has("flaky")) row.flaky += 1;
      rows.set(check, row);
    }
  });
  return [...rows.entries()]
    .map(([check, row]) => ({ check, ...row }))
    .sort((a, b) => b.flaky / b.runs - a.flaky / a.runs || b.failures - a.failures || (a.check < b.check ? -1 : 1));
}

/** `scenario: test title`, from the feature label the run sets (`id: title`); the history id when it has none. */
function checkName(historyId: string, item: z.infer<typeof HistoryItem>): string {
  const feature = item.labels?.find((l) => l.name === "feature")?.value;
  const scenario = feature?.split(": ")[0];
  return scenario && item.name ? `${scenario}: ${item.name}` : historyId;
}

/** `macvlab flakes`: the checks that were ever flaky or failing, worst first; a line for the rest. */
export function flakesText(rows: readonly FlakeRow[], historyFile: string): string {
  if (!rows.length) return `no history in ${display(historyFile)} yet: \`macvlab report\` writes it\n`;
  const shown = rows.filter((r) => r.flaky || r.failures || r.known);
  const reports = Math.max(...rows.map((r) => r.runs));
  const lines = shown.map(
    (r) =>
      `  ${r.check}: ${r.runs} run(s), ${r.failures} failed, ${r.flaky} flaky (${Math.round((100 * r.flaky) / r.runs)}%)${r.known ? `, ${r.known} known issue` : ""}`,
  );
  const steady = rows.length - shown.length;
  return `${display(historyFile)}: up to ${reports} report(s), ${rows.length} checks\n${lines.join("\n")}${lines.length ? "\n" : ""}  ${steady} check(s) passed every time, first attempt\n`;
}

function readLines(file: string): string[] {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === "ENOENT") return [];
    throw new InputError(`cannot read ${display(file)}: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError(`${display(file)}: not a regular file`);
    if (stat.size > MAX_HISTORY_BYTES)
      throw new InputError(
        `${display(file)}: ${stat.size} bytes, more than a history of 64 MiB; lower --history-limit`,
      );
    const buffer = Buffer.alloc(stat.size);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.toString("utf8", 0, length).split("\n");
  } finally {
    closeSync(fd);
  }
}
