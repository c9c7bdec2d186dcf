/**
 * The longest command sent over a UML kernel's console, to the kernel or to a node inside it. More
 * than about 4 KiB reaching the console at once stalls it for good (measured on Debian's UML 6.1: a
 * 4000-byte command passes, a 5000-byte one never comes back): sshd reads it from a tty whose
 * buffer holds 4 KiB, and the UML line driver, once throttled, never reads its host fd again
 * (line_unthrottle does not reactivate it).
 */
export const MAX_CONSOLE_COMMAND_BYTES = 3000;
