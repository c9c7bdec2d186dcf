/** One line per step for a person at a terminal; silent unless the CLI installs a sink. */
let sink: ((line: string) => void) | undefined;

export function setProgressSink(next: ((line: string) => void) | undefined): void {
  sink = next;
}

export function progress(line: string): void {
  sink?.(line);
}

/** Someone is watching progress (a parallel run asks its jobs to report theirs too). */
export function progressShown(): boolean {
  return sink !== undefined;
}
