import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { InfrastructureError } from "../../model/errors.ts";

const execFileAsync = promisify(execFile);

/**
 * Why this exists: Debian's UML 6.1 saves and restores its processes' FPU state with
 * PTRACE_{GET,SET}REGSET(NT_X86_XSTATE) and a buffer sized for the default xstate (2696 bytes with
 * AVX-512). The host kernel only accepts a SETREGSET of exactly its *maximum* xstate size, which
 * AMX (amx_tile) raises to 11008. So on AMX hosts every SETREGSET fails with EFAULT, and the first
 * process in UML dies: "userspace - ptrace set fp regs failed, errno = 14", then "Kernel panic -
 * Attempted to kill init". Newer UML kernels size the buffer at run time; this one cannot.
 *
 * The fix, LD_PRELOADed into UML: when such a SETREGSET fails with EFAULT, read the tracee's full
 * xstate, overlay the bytes UML gave (all state except AMX, which no UML process can enable) and
 * set the full buffer. Every other ptrace call passes through untouched. The buffer is static, not
 * on the stack: this runs on UML's small kernel stacks, and UML 6.1 is single-CPU (no concurrency).
 */
const SHIM_SOURCE = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#define NT_X86_XSTATE 0x202
typedef long (*ptrace_fn)(int, pid_t, void *, void *);
static ptrace_fn real_ptrace;
static unsigned char full[65536] __attribute__((aligned(64)));
__attribute__((constructor)) static void init(void) { real_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace"); }
long ptrace(enum __ptrace_request request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  long r = real_ptrace(request, pid, addr, data);
  if (r != -1 || errno != EFAULT || request != PTRACE_SETREGSET || (long)addr != NT_X86_XSTATE) return r;
  struct iovec *given = data;
  struct iovec whole = { full, sizeof full };
  if (real_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &whole) == -1 || whole.iov_len <= given->iov_len) {
    errno = EFAULT;
    return -1;
  }
  memcpy(full, given->iov_base, given->iov_len);
  return real_ptrace(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &whole);
}
`;

/** The host has AMX, so its maximum xstate is larger than the one UML 6.1 uses (see above). */
export async function hostNeedsXstateShim(cpuinfoPath = "/proc/cpuinfo"): Promise<boolean> {
  const cpuinfo = await readFile(cpuinfoPath, "utf8").catch(() => "");
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? "";
  return flags.split(/\s+/).includes("amx_tile");
}

/**
 * Compiles the shim into `dir` (once per source version) and returns the .so path, for LD_PRELOAD.
 * Needs a C compiler (`cc`, Debian package gcc).
 */
export async function ensureXstateShim(dir: string): Promise<string> {
  const hash = createHash("sha256").update(SHIM_SOURCE).digest("hex").slice(0, 12);
  const soPath = join(dir, `xstate-shim-${hash}.so`);
  if (
    await access(soPath).then(
      () => true,
      () => false,
    )
  )
    return soPath;
  const sourcePath = join(dir, `xstate-shim-${hash}.c`);
  const tmpPath = `${soPath}.${process.pid}.tmp`;
  await writeFile(sourcePath, SHIM_SOURCE);
  try {
    await execFileAsync("cc", ["-shared", "-fPIC", "-O2", "-o", tmpPath, sourcePath, "-ldl"], { timeout: 60_000 });
  } catch (error) {
    throw new InfrastructureError(
      `UML needs a ptrace shim on this AMX host and compiling it failed (install gcc): ${(error as Error).message}`,
      { cause: error },
    );
  }
  await rename(tmpPath, soPath); // atomic: a concurrent boot never preloads a half-written file
  return soPath;
}
