import { BoundedOutput, OUTPUT_CAP_ENV, outputCapFromEnv } from "../transport/bounded-output.ts";

export interface Attachment {
  readonly name: string;
  readonly content: string | Buffer;
  readonly contentType: string;
}

/**
 * Room above the cap for text that was already cut at its source (a command's stdout carries one
 * "… N bytes cut …" line): it is attached as it is, not cut a second time.
 */
const MARKER_ROOM_BYTES = 256;

/**
 * An attachment no larger than the output cap: text keeps its head and tail around the cut marker
 * and its name says "(truncated)"; binary content cut short would be a broken file, so over the
 * cap it is replaced by a note saying what it was.
 */
export function boundAttachment(attachment: Attachment, capBytes: number = outputCapFromEnv()): Attachment {
  const { name, content, contentType } = attachment;
  const size = typeof content === "string" ? Buffer.byteLength(content) : content.length;
  if (size <= capBytes + MARKER_ROOM_BYTES) return attachment;
  if (contentType.startsWith("text/")) {
    const kept = BoundedOutput.headAndTail(capBytes);
    kept.append(content);
    return { name: `${name} (truncated)`, content: kept.text(), contentType };
  }
  return {
    name: `${name} (not attached: too large)`,
    content: `${size} bytes of ${contentType}: over the attachment cap of ${capBytes} bytes (${OUTPUT_CAP_ENV})\n`,
    contentType: "text/plain",
  };
}
