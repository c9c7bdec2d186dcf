// Test support: reads the captured outputs in ./fixtures (see fixtures/README.md).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { type PingSummary, parsePing } from "./ping.ts";

const dir = new URL("./fixtures/", import.meta.url);

export function fixture(file: string): string {
  return readFileSync(new URL(file, dir), "utf8");
}

/** Names (without .txt) of every captured ping run. */
export function pingFixtureNames(): string[] {
  return readdirSync(dir)
    .filter((f) => /^ping-.*(?<!\.stderr)\.txt$/.test(f))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** A ping run is NAME.txt (stdout) plus NAME.stderr.txt when ping wrote to stderr. */
export function pingFixtureOutput(name: string): { stdout: string; stderr: string } {
  const stderrFile = `${name}.stderr.txt`;
  return { stdout: fixture(`${name}.txt`), stderr: existsSync(new URL(stderrFile, dir)) ? fixture(stderrFile) : "" };
}

export function parsePingFixture(name: string): PingSummary {
  const { stdout, stderr } = pingFixtureOutput(name);
  return parsePing(stdout, stderr);
}

/**
 * One-line-per-reply view of a summary so a whole golden fits in a few readable lines:
 * replies become "FROM seq=N ttl=N[ TIMEms][ DUP][ TRUNCATED]" and rtt "min/avg/max".
 */
export function compact(summary: PingSummary): Record<string, unknown> {
  const { replies, rtt, ...rest } = summary;
  return {
    ...rest,
    replies: replies.map((r) =>
      [
        `${r.from} seq=${r.seq} ttl=${r.ttl}`,
        r.timeMs !== undefined ? ` ${r.timeMs}ms` : "",
        r.duplicate ? " DUP" : "",
        r.truncated ? " TRUNCATED" : "",
      ].join(""),
    ),
    rtt: rtt ? `${rtt.minMs}/${rtt.avgMs}/${rtt.maxMs}` : undefined,
  };
}
