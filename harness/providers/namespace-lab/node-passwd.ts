import { readFile } from "node:fs/promises";
import { neutralPasswd } from "../../transport/login-shell.ts";
import type { LabHost } from "./lab-host.ts";
import type { NetnsLayout } from "./layout.ts";

/** The passwd the nodes see as their /etc/passwd (a bind mount of the state dir's): this machine's, root's shell /bin/sh. */
export async function nodePasswd(): Promise<string> {
  return neutralPasswd(await readFile("/etc/passwd", "utf8"));
}

/**
 * The nodes' passwd as the state dir holds it now, beside what the harness writes there; `seen` is
 * undefined when it cannot be read. It decides root's shell, which runs every command the grader sends.
 */
export async function nodePasswdNow(host: LabHost, layout: NetnsLayout): Promise<{ expected: string; seen?: string }> {
  const expected = await nodePasswd();
  const result = await host.run(["cat", layout.passwd]);
  return { expected, ...(result.exitCode === 0 ? { seen: result.stdout } : {}) };
}
