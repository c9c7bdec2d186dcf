import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { CHECK_KIND_NAMES } from "../checks/registry.ts";
import { LabSchema } from "../model/lab.ts";
import { PROJECT_ROOT, SCHEMAS_DIR } from "../model/paths.ts";
import { KnownIssuesSchema } from "./known-issues.ts";
import { Check, ScenarioSchema } from "./schema.ts";

export type FileKind = "lab" | "scenario" | "known-issues";

/** Where each kind of file's JSON Schema is shipped; YAML files point at it from their first line. */
export const SCHEMA_FILES: Record<FileKind, string> = {
  lab: join(SCHEMAS_DIR, "lab.schema.json"),
  scenario: join(SCHEMAS_DIR, "scenario.schema.json"),
  "known-issues": join(SCHEMAS_DIR, "known-issues.schema.json"),
};

const TITLES: Record<FileKind, string> = {
  lab: "macvlab lab: nodes, their NICs and the segments they plug into",
  scenario: "macvlab scenario: an article's experiment as setup, checks and negative controls",
  "known-issues": "macvlab known issues: failures tracked elsewhere, reported as known instead of failing",
};

const MODELS: Record<FileKind, z.ZodType> = {
  lab: LabSchema,
  scenario: ScenarioSchema,
  "known-issues": KnownIssuesSchema,
};

/**
 * The JSON Schema of a kind of file, from the same zod model the loader validates with. It describes
 * what a file may hold as written (defaults optional); the loader's cross-checks (a node the lab has,
 * an earlier check's id) need both files and stay in `macvlab validate`.
 */
export function jsonSchemaOf(kind: FileKind): Record<string, unknown> {
  const schema = z.toJSONSchema(MODELS[kind], {
    io: "input",
    target: "draft-2020-12",
    override: (ctx) => {
      // zod's "exactly one kind" refinement has no JSON Schema form of its own; this one lets an
      // editor say so while the file is written.
      if (ctx.zodSchema === Check) ctx.jsonSchema.oneOf = CHECK_KIND_NAMES.map((k) => ({ required: [k] }));
    },
  });
  return { ...schema, $id: `macvlab/${kind}.schema.json`, title: TITLES[kind] };
}

/** The file's text: stable key order and a final newline, so a regenerated file diffs cleanly. */
export function renderJsonSchema(kind: FileKind): string {
  return `${JSON.stringify(jsonSchemaOf(kind), null, 2)}\n`;
}

/** The first line of a shipped YAML file: yaml-language-server (VS Code, Neovim, …) reads it. */
export function schemaComment(kind: FileKind, fromDir: string): string {
  const rel = relative(fromDir, SCHEMA_FILES[kind]);
  // Outside this project a relative path would climb through unrelated folders: name the file instead.
  const target = relative(PROJECT_ROOT, fromDir).startsWith("..") ? pathToFileURL(SCHEMA_FILES[kind]).href : rel;
  return `# yaml-language-server: $schema=${target}`;
}

/** `npm run schemas`: regenerates the shipped files after a model changed (a unit test says when). */
export function writeJsonSchemas(): string[] {
  mkdirSync(SCHEMAS_DIR, { recursive: true });
  return (Object.keys(SCHEMA_FILES) as FileKind[]).map((kind) => {
    writeFileSync(SCHEMA_FILES[kind], renderJsonSchema(kind));
    return SCHEMA_FILES[kind];
  });
}
