/**
 * The error family. `kind` decides the exit code and the Allure category:
 * input → exit 2 before anything is created; infrastructure → the lab or transport broke
 * (Allure "broken"); expectation → the network behaved differently (Allure "failed").
 */
export type ErrorKind = "input" | "infrastructure" | "expectation" | "internal";

export class MacvlabError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = new.target.name;
  }
}

/** Bad input: a file, a flag or a value. `where` is `file:line:col` when known. */
export class InputError extends MacvlabError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = [], options?: { cause?: unknown }) {
    super("input", issues.length ? `${message}\n${issues.map((i) => `  ${i}`).join("\n")}` : message, options);
    this.issues = issues;
  }
}

/** The lab, a node or the transport is broken (not the network behaviour under test). */
export class InfrastructureError extends MacvlabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("infrastructure", message, options);
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof MacvlabError && error.kind === "input") return 2;
  return 1;
}
