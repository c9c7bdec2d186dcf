import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { InfrastructureError } from "../../model/errors.ts";
import type { Lab } from "../../model/lab.ts";
import { ensureLabKeys } from "../../transport/keys.ts";
import { sshdConfig } from "../../transport/sshd-config.ts";
import { hostExec } from "../host-exec.ts";
import type { CapabilityReport, Missing, Provider, StartedLab } from "../provider.ts";
import { stateDir } from "../state-root.ts";
import { createFabric, createNode, plugNics, writeNeutralPasswd } from "./build.ts";
import { probeNetnsCapabilities } from "./capabilities.ts";
import { NetnsLayout } from "./layout.ts";
import { makePrivateMount, mountsUnder } from "./mounts.ts";
import { NetnsLab } from "./netns-lab.ts";
import { requiredTools } from "./requirements.ts";
import { teardown } from "./teardown.ts";

/** Nodes are sets of namespaces on the host kernel; segments are bridges in a private fabric namespace. */
export class NetnsProvider implements Provider {
  readonly name = "netns";
  private report?: Promise<CapabilityReport>;

  probe(): Promise<readonly Missing[]> {
    return requiredTools();
  }

  capabilities(): Promise<CapabilityReport> {
    this.report ??= probeNetnsCapabilities();
    return this.report;
  }

  async up(lab: Lab): Promise<StartedLab> {
    const missing = await this.probe();
    if (missing.length)
      throw new InfrastructureError(`netns provider cannot start: ${missing.map((m) => `${m.what} (install: ${m.install})`).join("; ")}`);
    const layout = new NetnsLayout(stateDir(this.name, lab.name));
    // A crashed run may have left this lab behind: clear it before building on top.
    if (existsSync(layout.dir) || mountsUnder(layout.dir).length) await this.down(lab.name);
    mkdirSync(layout.dir, { recursive: true });
    try {
      await makePrivateMount(layout.dir);
      writeFileSync(layout.labJson, JSON.stringify(lab, null, 2));
      writeNeutralPasswd(layout);
      const keys = await ensureLabKeys(layout.sshDir);
      writeFileSync(layout.sshdConfig, sshdConfig(keys));
      const ports = await createFabric(layout, lab);
      for (const node of Object.keys(lab.nodes)) await createNode(layout, node);
      await plugNics(layout, lab, ports);
      const kernel = (await hostExec(["uname", "-r"])).stdout.trim();
      return await NetnsLab.connect({ lab, layout, ports, keys, kernel, down: () => this.down(lab.name) });
    } catch (error) {
      await this.down(lab.name).catch(() => {});
      if (error instanceof InfrastructureError) throw error;
      throw new InfrastructureError(`netns lab ${lab.name} failed to come up: ${(error as Error).message}`, { cause: error });
    }
  }

  async down(labName: string): Promise<void> {
    const dir = stateDir(this.name, labName);
    const problems = await teardown(new NetnsLayout(dir));
    if (problems.length) throw new InfrastructureError(`netns lab ${labName} did not come down cleanly:\n${problems.join("\n")}`);
    rmSync(dir, { recursive: true, force: true });
  }

  async list(): Promise<readonly string[]> {
    const root = stateDir(this.name);
    return existsSync(root) ? readdirSync(root).sort() : [];
  }
}
