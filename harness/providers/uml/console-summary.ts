/** Lines that explain a failed boot, wherever they are in the log. */
const NOTABLE =
  /Kernel panic|macvlab-init|sshd|not allowed|Too few physical memory|noexec|Failed to execute|No working init|fp regs failed|Out of memory|Unable to|error/i;
/** Stack-trace and register-dump lines: long, and useless without the kernel's symbols. */
const NOISE = /^\s*(<\d>)?\s*(\[<[0-9a-f]+>\]|Call Trace:|Stack:|([0-9a-f]{8} ){3}[0-9a-f]{8}\s*$)/;

/**
 * The part of a UML console log worth putting into an error message: the notable lines, then the
 * last `tailLines` lines without stack traces.
 */
export function summarizeConsole(log: string, tailLines = 40): string {
  const lines = log.split("\n").filter((line) => !NOISE.test(line));
  const notable = lines.filter((line) => NOTABLE.test(line));
  const tail = lines.slice(-tailLines);
  const parts = [];
  if (notable.length > 0) parts.push(`--- UML console, notable lines ---\n${notable.slice(-20).join("\n")}`);
  parts.push(`--- UML console, last ${tail.length} lines (stack traces omitted) ---\n${tail.join("\n")}`);
  return parts.join("\n");
}

/** Known console messages and what to do about them. */
export function consoleHint(log: string): string {
  if (/ptrace set fp regs failed/.test(log))
    return "hint: the host's xstate is larger than UML 6.1's buffer (AMX CPU); boot with xstateShim: \"always\" (needs gcc)";
  if (/must be not mounted noexec|PROT_EXEC mmap in .*failed/i.test(log))
    return "hint: UML's RAM file directory is mounted noexec; pass tmpDir on a filesystem that allows exec";
  if (/Too few physical memory|Failed to allocate .* memory map|Out of memory/.test(log))
    return "hint: not enough memory for the UML kernel (memMb; 48 is about the minimum, 512 the default)";
  if (/account is locked|not allowed because/.test(log)) return "hint: sshd refused root (see its message above)";
  return "";
}
