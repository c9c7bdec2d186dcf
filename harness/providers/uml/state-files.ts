import { access, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureLabKeys, type LabKeys } from "../../transport/keys.ts";
import { sshdConfig } from "../../transport/sshd-config.ts";
import { passwdForUml, shadowForUml } from "./etc-files.ts";
import { umlMountPlan } from "./fstab.ts";
import { UML_RUN_DIR, umlInitScript } from "./init-script.ts";
import type { UmlKernelInfo } from "./kernel-info.ts";

export interface UmlStateFiles {
  readonly keys: LabKeys;
  readonly initPath: string;
  /** UML's uml_dir (its own pid file and mconsole socket; the default would be ~/.uml). */
  readonly umlDir: string;
}

/**
 * Writes what the UML reads from the host filesystem (hostfs: the same absolute paths inside):
 * keys, sshd_config, passwd, shadow, fstabs and the init script. All must be readable by the user
 * running UML — inside, "root" has exactly that user's rights on host files.
 */
export async function writeUmlStateFiles(
  stateDir: string,
  options: { hostname: string; modules: readonly string[]; kernel: UmlKernelInfo; maxSessions: number },
): Promise<UmlStateFiles> {
  await mkdir(stateDir, { recursive: true });
  const keys = await ensureLabKeys(join(stateDir, "ssh"));
  const etc = join(stateDir, "etc");
  await mkdir(etc, { recursive: true });
  const path = (name: string) => join(etc, name);
  // One connection (the console) carries every channel into the kernel: the default MaxSessions
  // (10) would stall a lab of nine nodes. sshd keeps the first value it reads, so this one counts.
  await writeFile(path("sshd_config"), sshdConfig(keys, [`MaxSessions ${options.maxSessions}`]));
  await writeFile(path("passwd"), passwdForUml(await readFile("/etc/passwd", "utf8"), UML_RUN_DIR));
  await writeFile(path("shadow"), shadowForUml(), { mode: 0o600 });
  const plan = umlMountPlan({
    kernelVersion: options.kernel.version,
    modulesDir: options.kernel.modulesDir,
    hostHasLibModules: await access("/lib/modules").then(
      () => true,
      () => false,
    ),
    passwdPath: path("passwd"),
    shadowPath: path("shadow"),
    runDir: UML_RUN_DIR,
  });
  await writeFile(path("fstab.early"), plan.early);
  await writeFile(path("fstab.late"), plan.late);
  const initPath = join(stateDir, "init.sh");
  const script = umlInitScript({
    hostname: options.hostname,
    modules: options.modules,
    sshdConfigPath: path("sshd_config"),
    earlyFstabPath: path("fstab.early"),
    lateFstabPath: path("fstab.late"),
    dirs: plan.dirs,
    ...(plan.overlayModule ? { overlayModule: plan.overlayModule } : {}),
    sshTty: "/dev/tty1",
  });
  await writeFile(initPath, script);
  await chmod(initPath, 0o755); // writeFile's mode only applies to a new file
  const umlDir = join(stateDir, "uml");
  await mkdir(umlDir, { recursive: true });
  return { keys, initPath, umlDir };
}
