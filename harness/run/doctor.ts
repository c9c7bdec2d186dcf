import { CAPABILITIES, type Capability } from "../model/capabilities.ts";
import { PROVIDER_NAMES, providerNamed } from "../providers/registry.ts";

/** What each provider needs that is missing (with the install command) and what it can do, measured. */
export async function doctor(): Promise<{ lines: string[]; ready: boolean }> {
  const lines: string[] = [];
  let ready = false;
  for (const name of PROVIDER_NAMES) {
    const provider = providerNamed(name);
    const isolation = provider.studentIsolation();
    const students = `  students isolated from this host: ${isolation.isolates ? "yes" : "no"} (${isolation.why})`;
    const missing = await provider.missingRequirements();
    if (missing.length) {
      lines.push(`${name}: not ready`);
      for (const m of missing) lines.push(`  missing ${m.what}: ${m.install}`);
      lines.push(students);
      continue;
    }
    ready = true;
    const report = await provider.capabilities();
    lines.push(`${name}: ready (kernel ${report.kernel})`, students);
    for (const capability of Object.keys(CAPABILITIES) as Capability[])
      lines.push(
        report.has.has(capability)
          ? `  ✓ ${capability}`
          : `  ✗ ${capability}: ${report.absent.get(capability) ?? "not offered"}`,
      );
  }
  return { lines, ready };
}
