import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { InfrastructureError } from "../model/errors.ts";
import { createLabKeys } from "./keys.ts";
import { sshdConfig } from "./sshd-config.ts";

describe("sshdConfig", () => {
  const keys = { hostKeyPath: "/lab/keys/host_ed25519_key", authorizedKeysPath: "/lab/keys/authorized_keys" };

  it("pins keys by absolute path and locks sshd down", () => {
    const lines = sshdConfig(keys).trimEnd().split("\n");
    expect(lines).to.include.members([
      "HostKey /lab/keys/host_ed25519_key",
      "AuthorizedKeysFile /lab/keys/authorized_keys",
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes yes",
      "PermitUserRC no",
      "DisableForwarding yes",
      "PidFile none",
      "MaxSessions 16",
      "SetEnv LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin",
      "LogLevel ERROR",
    ]);
  });

  it("puts extra lines first, because sshd keeps the first value of a keyword", () => {
    const lines = sshdConfig(keys, ["LogLevel DEBUG3"]).split("\n");
    expect(lines[0]).to.equal("LogLevel DEBUG3");
  });

  it("quotes paths with spaces and refuses relative ones", () => {
    expect(sshdConfig({ ...keys, hostKeyPath: "/a b/key" })).to.contain('HostKey "/a b/key"');
    expect(() => sshdConfig({ ...keys, authorizedKeysPath: "keys/ak" })).to.throw(InfrastructureError, /absolute/);
  });

  it("is accepted by `sshd -t`", async () => {
    const dir = await mkdtemp(join(tmpdir(), "macvlab-sshd-config-"));
    try {
      await mkdir("/run/sshd", { recursive: true, mode: 0o755 }); // sshd -t checks it exists
      const cfg = join(dir, "sshd_config");
      await writeFile(cfg, sshdConfig(await createLabKeys(join(dir, "keys"))));
      await promisify(execFile)("/usr/sbin/sshd", ["-t", "-f", cfg]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
