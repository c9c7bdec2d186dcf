import { access, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createLabKeys, type LabKeys, makePrivateDir, writeSecretFile } from "../../transport/keys.ts";
import { sshdConfig } from "../../transport/sshd-config.ts";
import { strictModesOverride } from "../../transport/strict-modes.ts";
import { passwdForUml, shadowForUml } from "./etc-files.ts";
import { umlMountPlan } from "./fstab.ts";
import { UML_RUN_DIR, umlInitScript } from "./init-script.ts";
import type { UmlKernelInfo } from "./kernel-info.ts";
import { umlDirOf } from "./stray.ts";

export interface UmlStateFiles {
  readonly keys: LabKeys;
  readonly initPath: string;
  /** UML's uml_dir (its own pid file and mconsole socket; the default would be ~/.uml). */
  readonly umlDir: string;
}

/**
 * Writes what the UML reads from the host filesystem (hostfs: the same absolute paths inside):
 * keys, sshd_config, passwd, shadow, fstabs and the init script. All must be readable by the user
 * running UML — inside, "root" has exactly that user's rights on host files. Every file is new
 * (created exclusively: a leftover or a planted file is an error, never reused); keys are fresh.
 */
export async function writeUmlStateFiles(
  stateDir: string,
  options: { hostname: string; modules: readonly string[]; kernel: UmlKernelInfo; maxSessions: number },
): Promise<UmlStateFiles> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  const keys = await createLabKeys(join(stateDir, "ssh"));
  const etc = join(stateDir, "etc");
  await makePrivateDir(etc);
  const path = (name: string) => join(etc, name);
  const create = (file: string, content: string) => writeFile(file, content, { flag: "wx" });
  await create(
    path("sshd_config"),
    sshdConfig(keys, [
      // One connection (the console) carries every channel into the kernel: the default MaxSessions
      // (10) would stall a lab of nine nodes. sshd keeps the first value it reads, so this one counts.
      `MaxSessions ${options.maxSessions}`,
      ...(await strictModesOverride(keys.authorizedKeysPath)),
    ]),
  );
  await create(path("passwd"), passwdForUml(await readFile("/etc/passwd", "utf8"), UML_RUN_DIR));
  await writeSecretFile(path("shadow"), shadowForUml());
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
  await create(path("fstab.early"), plan.early);
  await create(path("fstab.late"), plan.late);
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
  await create(initPath, script);
  await chmod(initPath, 0o755); // the umask may have taken bits from a mode given to open
  const umlDir = umlDirOf(stateDir);
  await makePrivateDir(umlDir);
  return { keys, initPath, umlDir };
}
