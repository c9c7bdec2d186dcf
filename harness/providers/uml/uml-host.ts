import { quoteArgv } from "../../transport/shell-quote.ts";
import type { LabHost } from "../namespace-lab/lab-host.ts";
import { ShellHost } from "../namespace-lab/shell-host.ts";
import type { UmlMachine } from "./uml-machine.ts";

/** A booted UML kernel as the place where a namespace lab is built: argv and files over SSH to root inside. */
export function umlHost(machine: UmlMachine): LabHost {
  // Each node's sshd is a nested channel of the one SSH session into the kernel.
  const sshd = (argv: readonly string[]) => machine.shell.openStream(quoteArgv(argv));
  return new ShellHost(machine.shell, `UML kernel ${machine.name}`, sshd);
}
