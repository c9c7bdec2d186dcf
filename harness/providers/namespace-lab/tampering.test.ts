import { readFileSync } from "node:fs";
import { expect } from "chai";
import { InfrastructureError } from "../../model/errors.ts";
import { neutralPasswd } from "../../transport/login-shell.ts";
import type { LabHost } from "./lab-host.ts";
import { tamperFindings } from "./tampering.ts";

/** The nodes' passwd as the lab writes it, from this machine's. */
const labPasswd = () => neutralPasswd(readFileSync("/etc/passwd", "utf8"));

/**
 * A host whose one script answers with `stdout` (and `exitCode`) and whose state dir holds `passwd`;
 * anything else is a test failure.
 */
function answering(stdout: string, exitCode = 0, passwd = labPasswd()): LabHost {
  const unused = () => Promise.reject(new Error("not used"));
  return {
    description: "test host",
    run: async (argv) => {
      if (argv[0] === "cat") {
        expect(argv).to.deep.equal(["cat", "/state/netns/two-hosts/passwd"]);
        return { stdout: passwd, stderr: "", exitCode: 0 };
      }
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

  it("names what would run before or instead of the grader's commands: an sshrc, a mount over /etc/ssh or /etc, a changed passwd", async () => {
    const stdout = [
      "node node2",
      "/",
      "/etc/ssh",
      "!sshrc",
      "node node3",
      "/",
      "/etc",
      "/etc/passwd", // the lab's own
      "host",
      "/",
      "changed",
      "",
    ].join("\n");
    const passwd = labPasswd().replace(/^root:.*$/m, "root:x:0:0:root:/root:/run/fake-shell");
    expect(await tamperFindings(answering(stdout, 0, passwd), "/state/netns/two-hosts")).to.deep.equal([
      "node2: /etc/ssh is mounted over inside the node (the checks' tools come from there)",
      "node2: /etc/ssh/sshrc exists there: sshd runs it before every command the grader sends",
      "node3: /etc is mounted over inside the node (the checks' tools come from there)",
      "the nodes' passwd in the lab's state dir was changed: root's shell there runs every command the grader sends",
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
