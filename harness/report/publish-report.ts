import { generateHtml, type HtmlRequest } from "./html.ts";
import { appendOutputFile, writeOutputFile } from "./output-file.ts";
import { readAttempts } from "./results-read.ts";
import { type CheckVerdict, gateFailures, verdicts, verdictsJunit, verdictsMarkdown } from "./verdicts.ts";

export interface ReportRequest extends HtmlRequest {
  /** JUnit XML to write. */
  readonly junit?: string;
  /** Markdown to append to (a CI job summary). */
  readonly summary?: string;
}

/**
 * `macvlab report`: the HTML of one run or of every shard (with the history), then JUnit and the job
 * summary from the same results. Returns the report's index and the checks the gate fails on.
 */
export async function publishReport(request: ReportRequest): Promise<{ index: string; failing: CheckVerdict[] }> {
  const index = await generateHtml(request);
  const all = verdicts(readAttempts(request.resultsDirs));
  if (request.junit) writeOutputFile(request.junit, verdictsJunit(all, "macvlab"), "--junit");
  if (request.summary) appendOutputFile(request.summary, verdictsMarkdown(all), "--summary");
  return { index, failing: gateFailures(all) };
}
