import { expect } from "chai";
import { InfrastructureError } from "../../model/errors.ts";
import type { LabHost } from "./lab-host.ts";
import { tamperFindings } from "./tampering.ts";

/** A host whose one script answers with `stdout` (and `exitCode`); anything else is a test failure. */
function answering(stdout: string, exitCode = 0): LabHost {
  const unused = () => Promise.reject(new Error("not used"));
  return {
    description: "test host",
    run: async (argv) => {
      expect(argv.slice(0, 2)).to.deep.equal(["sh", "-c"]);
      expect(argv.at(-1)).to.equal("/state/netns/two-hosts");
      return { stdout, stderr: exitCode ? "boom" : "", exitCode };
    },
    writeFile: unused,
    writeFiles: unused,
    openSshd: unused,
  };
}

describe("tamper findings of a namespace lab", () => {
  it("names a mount over a tool path inside a node, a node it cannot read, and a host tool changed from its package", async () => {
    const stdout = [
      "node node2",
      "/",
      "/run",
      "/run/netns/net1",
      "/etc/passwd",
      "/usr/bin/ping",
      "/usr/local", // the host has it too: not the student's
      "node node3",
      "?",
      "host",
      "/",
      "/usr/local",
      "changed",
      "/usr/sbin/tcpdump",
      "",
    ].join("\n");
    expect(await tamperFindings(answering(stdout), "/state/netns/two-hosts")).to.deep.equal([
      "node2: /usr/bin/ping is mounted over inside the node (the checks' tools come from there)",
      "node3: its mount namespace cannot be read (is the node running?)",
      "this host's /usr/sbin/tcpdump differs from its Debian package (dpkg --verify): the checks run it",
    ]);
  });

  it("finds nothing in a lab whose nodes mount only their own /run, /proc, /sys and passwd", async () => {
    const stdout = "node node2\n/\n/run\n/proc\n/sys\n/etc/passwd\nhost\n/\n/proc\n/sys\nchanged\n";
    expect(await tamperFindings(answering(stdout), "/state/netns/two-hosts")).to.deep.equal([]);
  });

  it("is an infrastructure error when the mounts cannot be read at all", async () => {
    await tamperFindings(answering("", 1), "/state/netns/two-hosts").then(
      () => expect.fail("should throw"),
      (error) => expect(error).to.be.instanceOf(InfrastructureError),
    );
  });
});
