import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { writeUmlStateFiles } from "./state-files.ts";

describe("UML state files", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "macvlab-uml-files-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lets the console's sshd open as many sessions as the lab needs (not the default 10)", async () => {
    await writeUmlStateFiles(dir, {
      hostname: "lab",
      modules: ["8021q"],
      kernel: { version: "6.1.0-uml", modulesDir: "/usr/lib/uml/modules/6.1.0-uml" },
      maxSessions: 20,
    });
    await mkdir("/run/sshd", { recursive: true, mode: 0o755 }); // sshd -T checks it exists, as on a fresh machine it does not
    // What sshd itself makes of the file: it keeps the first value of a keyword.
    const effective = execFileSync("/usr/sbin/sshd", ["-T", "-f", join(dir, "etc", "sshd_config")], {
      encoding: "utf8",
    });
    expect(effective).to.match(/^maxsessions 20$/m);
  });
});
