/** A step being recorded: parameters shown beside its name. */
export interface StepHandle {
  parameter(name: string, value: string): Promise<void>;
}

/** What a report says about one test: where it sits, how it is identified across runs, what it is for. */
export interface TestMetadata {
  readonly epic: string;
  readonly feature: string;
  readonly story: string;
  readonly severity: string;
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** Stable across runs: nightly history and flake detection depend on it. */
  readonly testCaseId: string;
  readonly parameters: ReadonlyArray<{ name: string; value: string; excluded?: boolean }>;
  readonly description: string;
  /** The article sections the test comes from, as links a reader can follow. */
  readonly links?: ReadonlyArray<{ name: string; url: string }>;
}

/**
 * Where the runner records what it does: every command as a step with its output, attachments, a
 * test's metadata. The report layer gives the Allure implementation; `lab up --solve` runs the same
 * steps with the silent one.
 */
export interface Recorder {
  step<T>(name: string, body: (step: StepHandle) => Promise<T>): Promise<T>;
  attach(name: string, content: string | Buffer, contentType: string): Promise<void>;
  describeTest(metadata: TestMetadata): Promise<void>;
  /** Replaces the test's description (a skip or a grade says why). */
  note(markdown: string): Promise<void>;
}

const noParameters: StepHandle = { parameter: async () => {} };

/** Runs step bodies and records nothing. */
export const silentRecorder: Recorder = {
  step: (_name, body) => body(noParameters),
  attach: async () => {},
  describeTest: async () => {},
  note: async () => {},
};
