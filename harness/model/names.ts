import { isIPv4 } from "node:net";
import { z } from "zod";
import { InputError } from "./errors.ts";

/**
 * Every value that the harness itself interpolates into a command or a path is checked here,
 * so a lab or scenario file cannot smuggle shell (`name: "x; rm -rf /"`) into what we run.
 * Free-text setup commands are the documents' own shell and are not interpolated anywhere.
 */
const ifnameRe = /^[A-Za-z][A-Za-z0-9_.@-]{0,14}$/; // IFNAMSIZ is 16 including the NUL
const nodeRe = /^[a-z][a-z0-9-]{0,30}$/;
const idRe = /^[a-z0-9][a-z0-9-]{0,62}$/;
const netnsRe = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const containerRe = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const studentRe = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const macRe = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const sysctlRe = /^[a-z0-9_]+(\.[a-z0-9_-]+)+$/;

export const IfName = z
  .string()
  .regex(ifnameRe, "an interface name: a letter, then letters, digits, _ . - (at most 15 characters)");
export const NodeName = z
  .string()
  .regex(nodeRe, "a node name: lower-case letter, then lower-case letters, digits, - (at most 31)");
export const Id = z.string().regex(idRe, "an id: lower-case letters, digits and - (kebab-case)");
/** A lab's name: `labs/<name>.yaml`, a state directory `<provider>/<name>`, Vagrant machine and network names. */
export const LabName = z
  .string()
  .regex(idRe, "a lab name: lower-case letters, digits and - (kebab-case, at most 63), as in labs/<name>.yaml");
/**
 * Who is graded: written into grade.json and the JUnit suite names, never into a path or a command.
 * Wider than an id because the default is `$USER@hostname`, but still no `/`, space or shell.
 */
export const StudentId = z
  .string()
  .regex(studentRe, "a student id: a letter or digit, then letters, digits, . _ @ - (at most 64), e.g. s-042");
export const NetnsName = z.string().regex(netnsRe, "a namespace name: letters, digits, _ . - (at most 64)");
/** A Docker container's name as Docker admits it (`docker run --name`), never a path or shell. */
export const ContainerName = z
  .string()
  .regex(containerRe, "a container name: a letter or digit, then letters, digits, _ . - (at most 64)");
export const Mac = z.string().regex(macRe, "a MAC address like 02:00:00:00:01:01");
export const SysctlKey = z.string().regex(sysctlRe, "a sysctl key like net.ipv4.ip_forward");
export const Ipv4 = z.string().refine(isIPv4, "an IPv4 address like 172.16.5.2");
export const Ipv4Cidr = z.string().refine((v) => {
  const [addr, len, ...rest] = v.split("/");
  return (
    rest.length === 0 &&
    addr !== undefined &&
    isIPv4(addr) &&
    len !== undefined &&
    /^\d{1,2}$/.test(len) &&
    Number(len) <= 32
  );
}, "an IPv4 prefix like 172.16.10.0/24");
/** A route destination as `ip -j route` prints it: `default`, a prefix, or a host address. */
export const RouteDst = z.union([z.literal("default"), Ipv4Cidr, Ipv4]);

/**
 * A name from outside any file (a CLI argument, an environment variable, a directory entry), checked
 * before it becomes a path or an argument. `what` says where it came from, e.g. `MACVLAB_STUDENT`.
 */
export function checkName(rule: z.ZodType<string>, value: string, what: string): string {
  const result = rule.safeParse(value);
  if (result.success) return result.data;
  throw new InputError(`${what} ${quoteName(value)} is not ${result.error.issues[0]?.message ?? "valid"}`);
}

/** A hostile value quoted for a message: escaped, and cut short so a huge one cannot flood the terminal. */
export function quoteName(value: string): string {
  const shown = JSON.stringify(value);
  return shown.length > 72 ? `${shown.slice(0, 60)}…" (${value.length} characters)` : shown;
}
