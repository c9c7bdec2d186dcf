import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { relative } from "node:path";
import { type Document, isMap, isPair, isScalar, LineCounter, parseDocument, visit } from "yaml";
import type { z } from "zod";
import { InputError } from "./errors.ts";

export type Path = readonly PropertyKey[];

/** Lab and scenario files are a few KiB; anything this large is a mistake (or an attack on the parser). */
export const MAX_SOURCE_BYTES = 1024 * 1024;

/** A parsed YAML file that can say where any value of it sits: `file:line:col`. */
export class YamlSource {
  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  static read(file: string): YamlSource {
    return YamlSource.parse(file, readSmallFile(file));
  }

  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    const source = new YamlSource(file, doc, lines);
    if (doc.errors.length > 0) {
      throw new InputError(
        `${display(file)} is not valid YAML`,
        doc.errors.map((e) => `${source.at(e.pos[0])}: ${e.message.split("\n")[0]}`),
      );
    }
    return source;
  }

  get data(): unknown {
    try {
      return this.doc.toJS();
    } catch (error) {
      // yaml refuses an alias bomb (billion laughs) here, not while parsing.
      let alias: number | undefined;
      visit(this.doc, {
        Alias: (_, node) => {
          alias = node.range?.[0];
          return visit.BREAK;
        },
      });
      const where = alias === undefined ? `${display(this.file)}:1:1` : this.at(alias);
      throw new InputError(`${display(this.file)} is not usable YAML`, [`${where}: ${(error as Error).message}`]);
    }
  }

  /** `file:line:col` of an offset in the text. */
  at(offset: number): string {
    const { line, col } = this.lines.linePos(offset);
    return `${display(this.file)}:${line}:${col}`;
  }

  /** Where the value at `path` starts; for a missing key, where its parent starts. With `key`, the key itself. */
  where(path: Path, key?: string): string {
    let probe: readonly PropertyKey[] = path;
    for (;;) {
      const node = probe.length === 0 ? this.doc.contents : this.doc.getIn(probe as unknown[], true);
      if (key !== undefined && probe === path && isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) return this.at(range[0]);
      }
      const range = (node as { range?: [number, number, number] } | null)?.range;
      if (range) return this.at(range[0]);
      if (probe.length === 0) return `${display(this.file)}:1:1`;
      probe = probe.slice(0, -1);
    }
  }

  /** Validate with a zod schema; every issue becomes `file:line:col: field: message`. */
  validate<S extends z.ZodType>(schema: S, what: string): z.infer<S> {
    const result = schema.safeParse(this.data);
    if (result.success) return result.data;
    const issues = result.error.issues.flatMap((issue) => {
      if (issue.code === "unrecognized_keys")
        return issue.keys.map((k) => this.issue([...issue.path, k], `unknown key "${k}"`, k));
      // A key that breaks its rule (a node named "x;rm"): the rule's own words, at the key.
      if (issue.code === "invalid_key") {
        const key = String(issue.path.at(-1));
        return [
          this.issue(issue.path, `key ${JSON.stringify(key)}: ${issue.issues[0]?.message ?? issue.message}`, key),
        ];
      }
      return [this.issue(issue.path, issue.message)];
    });
    throw new InputError(`${display(this.file)}: invalid ${what}`, issues);
  }

  issue(path: Path, message: string, key?: string): string {
    const field = path.length ? path.map(String).join(".") : "(top level)";
    const parent = key === undefined ? path : path.slice(0, -1);
    return `${this.where(parent, key)}: ${field}: ${message}`;
  }
}

export function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}

/** The file's text, read through one descriptor so what was measured is what is read. */
function readSmallFile(file: string): string {
  let fd: number;
  try {
    // Non-blocking: a FIFO given as a scenario must be refused, not wait for a writer forever.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new InputError(`cannot read ${display(file)}: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError(`${display(file)}: not a regular file`);
    const tooLarge = (size: string) =>
      new InputError(`${display(file)}: ${size}, more than the 1 MiB a lab or scenario file may have`);
    if (stat.size > MAX_SOURCE_BYTES) throw tooLarge(`${stat.size} bytes`);
    // Read at most one byte past the limit: a file that grew since fstat is still refused.
    const buffer = Buffer.allocUnsafe(MAX_SOURCE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > MAX_SOURCE_BYTES) throw tooLarge("it grew while being read");
    return buffer.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}
