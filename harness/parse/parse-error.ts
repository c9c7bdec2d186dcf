import { CheckCommandError } from "../model/errors.ts";

/**
 * A tool printed something its parser does not recognise. That is the lab or the tool
 * misbehaving (wrong binary, wrong locale, truncated transport), not the network under
 * test, hence an infrastructure error.
 */
export class ParseError extends CheckCommandError {
  /** What was being parsed, e.g. "ping" or "ip -j route show". */
  readonly command: string;
  constructor(command: string, problem: string, text?: string, options?: { cause?: unknown }) {
    super(
      `cannot parse ${command} output: ${problem}${text === undefined ? "" : `\n  got: ${excerpt(text)}`}`,
      options,
    );
    this.command = command;
  }
}

/** Enough of the offending text to recognise it in a report without flooding it. */
function excerpt(text: string): string {
  const flat = JSON.stringify(text);
  return flat.length > 160 ? `${flat.slice(0, 157)}..."` : flat;
}
