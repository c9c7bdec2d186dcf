import { execFile } from "node:child_process";
import { access } from "node:fs/promises";
import { promisify } from "node:util";
import { InfrastructureError } from "../../model/errors.ts";

const execFileAsync = promisify(execFile);

/** Where Debian's user-mode-linux package puts the UML kernel's modules, one folder per version. */
export const UML_MODULES_ROOT = "/usr/lib/uml/modules";

export interface UmlKernelInfo {
  /** `uname -r` inside UML — not the host's. */
  readonly version: string;
  readonly modulesDir: string;
}

/** Asks the UML binary its version (`linux --version` prints it and exits at once) and finds its modules. */
export async function umlKernelInfo(kernel: string): Promise<UmlKernelInfo> {
  let version: string;
  try {
    version = (await execFileAsync(kernel, ["--version"], { timeout: 10_000 })).stdout.trim();
  } catch (error) {
    throw new InfrastructureError(
      `UML kernel ${kernel} not usable (apt-get install user-mode-linux kmod): ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!/^[0-9][A-Za-z0-9._+-]*$/.test(version))
    throw new InfrastructureError(`${kernel} --version printed ${JSON.stringify(version)}, not a kernel version`);
  const modulesDir = `${UML_MODULES_ROOT}/${version}`;
  if (
    !(await access(modulesDir).then(
      () => true,
      () => false,
    ))
  )
    throw new InfrastructureError(
      `modules of UML kernel ${version} not found at ${modulesDir} (the user-mode-linux package installs them)`,
    );
  return { version, modulesDir };
}
