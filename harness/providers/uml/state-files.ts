import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureLabKeys, type LabKeys } from "../../transport/keys.ts";
import { sshdConfig } from "../../transport/sshd-config.ts";
import { passwdForUml, shadowForUml } from "./etc-files.ts";
import { UML_RUN_DIR, umlInitScript } from "./init-script.ts";

export interface UmlStateFiles {
  readonly keys: LabKeys;
  readonly initPath: string;
  /** UML's uml_dir (its own pid file and mconsole socket). */
  readonly umlDir: string;
}

/**
 * Writes what the UML reads from the host filesystem (hostfs: the same absolute paths inside):
 * keys, sshd_config, passwd, shadow and the init script. Everything must be readable by the user
 * running UML — inside, "root" has exactly that user's rights on host files.
 */
export async function writeUmlStateFiles(
  stateDir: string,
  options: { hostname: string; modules: readonly string[] },
): Promise<UmlStateFiles> {
  await mkdir(stateDir, { recursive: true });
  const keys = await ensureLabKeys(join(stateDir, "ssh"));
  const etc = join(stateDir, "etc");
  await mkdir(etc, { recursive: true });
  const sshdConfigPath = join(etc, "sshd_config");
  const passwdPath = join(etc, "passwd");
  const shadowPath = join(etc, "shadow");
  await writeFile(sshdConfigPath, sshdConfig(keys));
  await writeFile(passwdPath, passwdForUml(await readFile("/etc/passwd", "utf8"), UML_RUN_DIR));
  await writeFile(shadowPath, shadowForUml(), { mode: 0o600 });
  const initPath = join(stateDir, "init.sh");
  const script = umlInitScript({ ...options, sshdConfigPath, passwdPath, shadowPath, sshTty: "/dev/tty1" });
  await writeFile(initPath, script);
  await chmod(initPath, 0o755); // writeFile's mode is ignored for an existing file
  const umlDir = join(stateDir, "uml");
  await mkdir(umlDir, { recursive: true });
  return { keys, initPath, umlDir };
}
