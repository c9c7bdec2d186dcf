import type { z } from "zod";
import { ParseError } from "./parse-error.ts";

/** A tool's JSON output (`ip -j`, `bridge -j`, `teamdctl … state dump`) checked against the shape a parser reads. */
export function parseJson<T extends z.ZodType>(
  command: string,
  json: string,
  schema: T,
  prepare: (value: unknown) => unknown = (value) => value,
): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new ParseError(command, `not JSON (${(error as Error).message})`, json, { cause: error });
  }
  const result = schema.safeParse(prepare(value));
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new ParseError(command, `unexpected JSON shape: ${issues.join("; ")}`, json, { cause: result.error });
  }
  return result.data;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0
    ? "(top level)"
    : path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
}
