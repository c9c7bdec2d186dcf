/**
 * The error family. `kind` decides the exit code and the Allure category:
 * input → exit 2 before anything is created; infrastructure → the lab or transport broke
 * (Allure "broken"); output → the run's results could not be written (exit 3; what could be
 * saved was printed instead). A network that behaves differently is not an error but an outcome that does
 * not hold (chai's AssertionError, Allure "failed").
 */
export type ErrorKind = "input" | "infrastructure" | "output";

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

/**
 * The harness lost (or never had) its connection to a node: nothing about the node's own state can
 * be concluded. Grading never scores this against a student.
 */
export class ConnectionLostError extends InfrastructureError {}

/**
 * A check's read-only command ran on the node and failed there (the namespace it looks into does not
 * exist, a tool printed nonsense). A broken lab when the harness did the setup; the student's lab
 * when grading, so it costs the check's points with this as the reason.
 */
export class CheckCommandError extends InfrastructureError {}

/**
 * A result (grade.json, a report) could not be written: the disk is full, the directory read-only.
 * Distinct from a failed check so that CI does not read a lost grade as a student's failure.
 */
export class OutputError extends MacvlabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("output", message, options);
  }
}

/** 0 passed, 1 a check failed or the lab broke, 2 bad input, 3 results not written (130: interrupted). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof MacvlabError && error.kind === "input") return 2;
  if (error instanceof MacvlabError && error.kind === "output") return 3;
  return 1;
}
