import { InfrastructureError } from "../../model/errors.ts";
import type { Lab } from "../../model/lab.ts";
import { imageCacheDir, labStateNames, stateDir } from "../../model/paths.ts";
import { hostExec } from "../host-exec.ts";
import { probeCapabilities } from "../namespace-lab/capabilities.ts";
import { NamespaceLab, type NamespaceLabOptions } from "../namespace-lab/namespace-lab.ts";
import { requiredTools } from "../namespace-lab/requirements.ts";
import { tamperFindings } from "../namespace-lab/tampering.ts";
import { teardown } from "../namespace-lab/teardown.ts";
import type { CapabilityReport, Missing, Provider, StartedLab, StudentIsolation, UpOptions } from "../provider.ts";
import { LocalHost } from "./local-host.ts";

/** Nodes are sets of namespaces on the host kernel; segments are bridges in a private fabric namespace. */
export class NetnsProvider implements Provider {
  readonly name = "netns";
  readonly commandCost = 1;
  private readonly host = new LocalHost();
  private report?: Promise<CapabilityReport>;

  studentIsolation(): StudentIsolation {
    return {
      isolates: false,
      why: "a node is namespaces on this host: its root is this host's root (`nsenter -t 1 -a sh`), and a bind mount in a node can replace the tools a check runs there",
    };
  }

  missingRequirements(): Promise<readonly Missing[]> {
    return requiredTools({ needsRoot: true });
  }

  capabilities(): Promise<CapabilityReport> {
    this.report ??= probeCapabilities(this.host, this.name);
    return this.report;
  }

  async up(lab: Lab, options?: UpOptions): Promise<StartedLab> {
    const missing = await this.missingRequirements();
    if (missing.length)
      throw new InfrastructureError(
        `netns provider cannot start: ${missing.map((m) => `${m.what} (install: ${m.install})`).join("; ")}`,
      );
    return NamespaceLab.build({ ...(await this.labOptions(lab)), onFirstResource: options?.onFirstResource });
  }

  async attach(lab: Lab): Promise<StartedLab> {
    return NamespaceLab.attach(await this.labOptions(lab));
  }

  /** The same lab on this machine whether it is built or attached to. */
  private async labOptions(lab: Lab): Promise<NamespaceLabOptions> {
    const kernel = (await hostExec(["uname", "-r"])).stdout.trim();
    const dir = stateDir(this.name, lab.name);
    return { host: this.host, lab, provider: this.name, kernel, dir, imageCache: imageCacheDir() };
  }

  async down(labName: string): Promise<void> {
    await teardown(this.host, stateDir(this.name, labName));
  }

  tamperFindings(labName: string): Promise<string[]> {
    return tamperFindings(this.host, stateDir(this.name, labName));
  }

  async list(): Promise<readonly string[]> {
    return labStateNames(this.name);
  }
}
