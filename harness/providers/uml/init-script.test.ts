import { execFileSync } from "node:child_process";
import { expect } from "chai";
import { consoleHint, summarizeConsole } from "./console-summary.ts";
import { passwdForUml, shadowForUml } from "./etc-files.ts";
import { umlMountPlan } from "./fstab.ts";
import { DEFAULT_UML_MODULES, umlInitScript } from "./init-script.ts";

const mountOptions = {
  kernelVersion: "6.1.176",
  modulesDir: "/usr/lib/uml/modules/6.1.176",
  passwdPath: "/tmp/s/etc/passwd",
  shadowPath: "/tmp/s/etc/shadow",
  runDir: "/run/macvlab",
};

describe("UML init script and mounts", () => {
  it("generates a script that sh parses, with the sshd loop on the SSH tty", () => {
    const script = umlInitScript({
      hostname: "n1",
      modules: DEFAULT_UML_MODULES,
      sshdConfigPath: "/tmp/s/etc/sshd_config",
      earlyFstabPath: "/tmp/s/etc/fstab.early",
      lateFstabPath: "/tmp/s/etc/fstab.late",
      dirs: ["/run/sshd"],
      overlayModule: "/usr/lib/uml/modules/6.1.176/kernel/fs/overlayfs/overlay.ko",
      sshTty: "/dev/tty1",
    });
    execFileSync("sh", ["-n"], { input: script }); // throws on a syntax error
    expect(script)
      .to.contain("stty -F /dev/tty1 raw -echo")
      .and.contain("/usr/sbin/sshd -i -e -f /tmp/s/etc/sshd_config </dev/tty1 >/dev/tty1");
    expect(script).to.contain(
      "insmod /usr/lib/uml/modules/6.1.176/kernel/fs/overlayfs/overlay.ko\nrun mount -a -T /tmp/s/etc/fstab.late",
    );
    expect(script).to.contain("modprobe -a ipv6 af_packet 8021q");
  });

  it("refuses values that would need shell quoting", () => {
    const bad = {
      hostname: "n1; reboot",
      modules: [],
      sshdConfigPath: "/c",
      earlyFstabPath: "/e",
      lateFstabPath: "/l",
      dirs: [],
      sshTty: "/dev/tty1",
    };
    expect(() => umlInitScript(bad)).to.throw(TypeError, /unsafe/);
  });

  it("mounts a tmpfs on /lib/modules when the host has one, else overlays /usr/lib", () => {
    const withDir = umlMountPlan({ ...mountOptions, hostHasLibModules: true });
    expect(withDir.late).to.match(/^modules \/lib\/modules tmpfs /m);
    expect(withDir.overlayModule).to.equal(undefined);
    const without = umlMountPlan({ ...mountOptions, hostHasLibModules: false });
    expect(without.late).to.match(
      /^usr-lib \/usr\/lib overlay lowerdir=\/usr\/lib,upperdir=\/run\/macvlab\/usr-lib\/upper,/m,
    );
    expect(without.dirs).to.include("/run/macvlab/usr-lib/work");
    for (const plan of [withDir, without]) {
      expect(plan.late).to.contain("/usr/lib/uml/modules/6.1.176 /lib/modules/6.1.176 none bind,X-mount.mkdir");
      expect(plan.late).to.contain("/usr/sbin/xtables-legacy-multi /usr/sbin/xtables-nft-multi none bind");
      expect(plan.early).to.not.match(/ \/tmp /); // the state dir may live in /tmp
    }
  });

  it("gives root /bin/sh and a reachable home, and an unlocked shadow entry", () => {
    const passwd = passwdForUml(
      "root:x:0:0:root:/root:/bin/bash\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n",
      "/run/macvlab",
    );
    expect(passwd).to.equal("root:x:0:0:root:/run/macvlab:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n");
    expect(shadowForUml()).to.match(/^root:\*:/); // "*" is not "!": OpenSSH does not call it locked
  });
});

describe("UML console log", () => {
  it("summarises a panic without the stack trace and explains known failures", () => {
    const log =
      "Run /x as init process\nKernel panic - not syncing: Requested init /x failed (error -2).\nCall Trace:\n [<606944ba>] ? _printk+0x0/0x94\n";
    const summary = summarizeConsole(log);
    expect(summary).to.contain("Requested init /x failed").and.not.contain("_printk");
    expect(consoleHint("userspace - ptrace set fp regs failed, errno = 14")).to.contain("xstateShim");
    expect(consoleHint("/tmp must be not mounted noexec")).to.contain("tmpDir");
  });
});
