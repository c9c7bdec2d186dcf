import { basename, resolve } from "node:path";
import { InputError } from "./errors.ts";
import { type Lab, LabSchema } from "./lab.ts";
import { display, YamlSource } from "./yaml-source.ts";

export function loadLab(file: string): Lab {
  const source = YamlSource.read(file);
  const lab = { ...source.validate(LabSchema, "lab"), file: resolve(file) };
  const issues: string[] = [];
  for (const [nodeName, node] of Object.entries(lab.nodes)) {
    const seen = new Set<string>();
    node.nics.forEach((nic, i) => {
      const path = ["nodes", nodeName, "nics", i];
      if (!Object.hasOwn(lab.segments, nic.segment)) {
        const known = Object.keys(lab.segments).join(", ");
        issues.push(source.issue([...path, "segment"], `no segment "${nic.segment}" in segments (${known})`));
      }
      if (seen.has(nic.name))
        issues.push(source.issue([...path, "name"], `duplicate NIC name "${nic.name}" on node ${nodeName}`));
      seen.add(nic.name);
    });
  }
  if (basename(file, ".yaml") !== lab.name)
    issues.push(source.issue(["name"], `the name must match the file name (${basename(file)})`));
  if (issues.length) throw new InputError(`${display(file)}: invalid lab`, issues);
  return lab;
}
