import { execFileSync } from "node:child_process";
import { expect } from "chai";
import { InfrastructureError, InputError } from "../../model/errors.ts";
import type { Lab } from "../../model/lab.ts";
import type { Shell, ShellResult } from "../../transport/shell.ts";
import { labInstanceId } from "../instance.ts";
import { providersFor } from "../registry.ts";
import { markerAddress, nicMac, nicMarkers, segmentPrefix } from "./markers.ts";
import { assignNics, type GuestLink, nicScript } from "./nic-map.ts";
import { SudoShell, wrapForRoot } from "./sudo-shell.ts";
import {
  parseMachineReadable,
  parseSshConfig,
  parseStatus,
  type VagrantResult,
  vagrantFailure,
} from "./vagrant-cli.ts";
import { VagrantLab } from "./vagrant-lab.ts";
import { parseLabState } from "./vagrant-provider.ts";

const lab = {
  name: "routed",
  file: "labs/routed.yaml",
  segments: { lan10: { kind: "switch" }, lan20: { kind: "switch" } },
  nodes: {
    node1: {
      nics: [
        { name: "enp0s3", segment: "lan10", promiscuous: true, mac: "08:00:27:00:01:03" },
        { name: "enp0s8", segment: "lan20", promiscuous: false },
      ],
    },
    node2: { nics: [{ name: "enp0s3", segment: "lan10", promiscuous: true, mac: "08:00:27:00:02:03" }] },
  },
} as unknown as Lab;

const result = (over: Partial<VagrantResult>): VagrantResult => ({
  args: ["up"],
  stdout: "",
  stderr: "",
  exitCode: 1,
  timedOut: false,
  ...over,
});

describe("vagrant provider", () => {
  describe("markers (kept in sync with the Vagrantfile)", () => {
    it("derives the same subnet and MAC as the Vagrantfile's Ruby", function () {
      this.timeout(20_000);
      let ruby: string;
      try {
        ruby = execFileSync(
          "ruby",
          [
            "-rzlib",
            "-e",
            'h = Zlib.crc32("routed/lan20"); puts "10.#{200 + h % 50}.#{(h >> 8) % 256}"; h = Zlib.crc32("routed/node1/enp0s8"); puts format("08:00:27:%02x:%02x:%02x", (h >> 16) & 255, (h >> 8) & 255, h & 255); h = Zlib.crc32("0a1b2c3d/routed/lan20"); puts "10.#{200 + h % 50}.#{(h >> 8) % 256}"',
          ],
          { encoding: "utf8" },
        );
      } catch {
        return this.skip();
      }
      const [prefix, mac, instancePrefix] = ruby.trim().split("\n");
      expect(segmentPrefix("routed", "lan20")).to.equal(prefix);
      expect(nicMac("routed", "node1", { name: "enp0s8" })).to.equal(mac);
      expect(segmentPrefix("routed", "lan20", "0a1b2c3d")).to.equal(instancePrefix);
    });

    it("gives each state dir its own instance id, the same for every spelling of one path", () => {
      const id = labInstanceId("/srv/ci/job1/.macvlab");
      expect(id).to.match(/^[0-9a-f]{8}$/);
      expect(labInstanceId("/srv/ci/job1/.macvlab/")).to.equal(id);
      expect(labInstanceId("/srv/ci/job1/x/../.macvlab")).to.equal(id);
      expect(labInstanceId("/srv/ci/job2/.macvlab")).to.not.equal(id);
      expect(segmentPrefix("routed", "lan20", id)).to.not.equal(
        segmentPrefix("routed", "lan20", labInstanceId("/srv/ci/job2/.macvlab")),
      );
    });

    it("uses the lab's MAC when it has one, and numbers nodes in file order", () => {
      const markers = nicMarkers(lab, "node2");
      expect(markers[0]!.mac).to.equal("08:00:27:00:02:03");
      expect(markers[0]!.address).to.equal(markerAddress("routed", "lan10", 1));
      expect(markers[0]!.address).to.match(/^10\.2[0-4]\d\.\d+\.11$/);
    });
  });

  describe("CLI output", () => {
    it("parses machine-readable status, with escaped commas", () => {
      const text =
        "1795435832,node2,metadata,provider,docker\n1795435832,node2,state,running\n1795435833,node3,state,not_created\n1795435833,,ui,info,a%!(VAGRANT_COMMA) b\n";
      expect([...parseStatus(text)]).to.deep.equal([
        ["node2", "running"],
        ["node3", "not_created"],
      ]);
      expect(parseMachineReadable(text).at(-1)!.data).to.deep.equal(["info", "a, b"]);
    });

    it("parses ssh-config", () => {
      const config = parseSshConfig(
        'Host node2\n  HostName 127.0.0.1\n  User vagrant\n  Port 2222\n  IdentityFile "/x y/private_key"\n  IdentitiesOnly yes\n',
        "node2",
      );
      expect(config).to.deep.equal({
        host: "127.0.0.1",
        port: 2222,
        user: "vagrant",
        identityFiles: ["/x y/private_key"],
      });
      expect(() => parseSshConfig("Host x\n", "x")).to.throw(InfrastructureError, /machine x/);
    });

    it("turns the user's environment problems into one-line InputErrors with the fix", () => {
      const ctx = { what: "lab l", provider: "virtualbox", timeoutMs: 1000 };
      expect(vagrantFailure(result({ exitCode: 127, stderr: "spawn vagrant ENOENT" }), ctx))
        .to.be.instanceOf(InputError)
        .with.property("message")
        .match(/apt-get install -y vagrant/);
      expect(vagrantFailure(result({ stdout: "Vagrant could not detect VirtualBox! Make sure" }), ctx))
        .to.be.instanceOf(InputError)
        .with.property("message")
        .match(/install VirtualBox/);
      expect(
        vagrantFailure(
          result({ stderr: "The box 'nope/x' could not be found or\ncould not be accessed in the remote catalog." }),
          ctx,
        ),
      )
        .to.be.instanceOf(InputError)
        .with.property("message")
        .match(/MACVLAB_VAGRANT_BOX/);
      expect(vagrantFailure(result({ stderr: "pull access denied for macvlab-node" }), ctx))
        .to.be.instanceOf(InputError)
        .with.property("message")
        .match(/build\.sh/);
      expect(vagrantFailure(result({ timedOut: true }), ctx))
        .to.be.instanceOf(InfrastructureError)
        .with.property("message")
        .match(/did not finish within 1 s/);
      expect(vagrantFailure(result({ stderr: "something else" }), ctx)).to.be.instanceOf(InfrastructureError);
    });
  });

  describe("NIC mapping", () => {
    it("finds NICs by MAC (VirtualBox) and moves a guest NIC that holds a lab name aside", () => {
      const links: GuestLink[] = [
        { ifname: "lo", address: "00:00:00:00:00:00" },
        { ifname: "enp0s3", address: "08:00:27:aa:bb:cc", addr_info: [{ family: "inet", local: "10.0.2.15" }] },
        { ifname: "enp0s8", address: "08:00:27:00:01:03" },
        { ifname: "enp0s9", address: nicMac("routed", "node1", { name: "enp0s8" }) },
      ];
      const assigned = assignNics("node1", nicMarkers(lab, "node1"), links);
      expect(assigned.map((a) => a.current)).to.deep.equal(["enp0s8", "enp0s9"]);
      const script = nicScript(assigned, links);
      expect(script).to.contain("ip link set dev enp0s8 name mvl0").and.contain("ip link set dev enp0s3 name vgmt0");
      expect(script.indexOf("name vgmt0")).to.be.lessThan(script.indexOf("ip link set dev mvl0 name enp0s3"));
      expect(script).to.contain("ip link set dev enp0s3 promisc off").and.contain("ip link set dev enp0s8 promisc off");
    });

    it("finds NICs by marker address (docker) and says what it saw when one is missing", () => {
      const links: GuestLink[] = [
        { ifname: "eth0", address: "02:42:ac:11:00:02", addr_info: [{ family: "inet", local: "172.17.0.2" }] },
        {
          ifname: "eth1",
          address: "02:42:0a:00:00:01",
          addr_info: [{ family: "inet", local: markerAddress("routed", "lan10", 1) }],
        },
      ];
      const [a] = assignNics("node2", nicMarkers(lab, "node2"), links);
      expect(a!.current).to.equal("eth1");
      expect(nicScript([a!], links))
        .to.contain("ip link set dev enp0s3 address 08:00:27:00:02:03")
        .and.contain("ip -4 addr flush dev enp0s3");
      expect(() => assignNics("node1", nicMarkers(lab, "node1"), links)).to.throw(
        InfrastructureError,
        /machine node1: no guest NIC for lab NIC enp0s3.*eth0/,
      );
    });
  });

  describe("guest commands", () => {
    it("run as root through sudo -n with LC_ALL=C and a guest-side timeout, reporting the original command", async () => {
      const seen: string[] = [];
      const inner: Shell = {
        node: "n",
        exec: async (command: string): Promise<ShellResult> => {
          seen.push(command);
          return {
            node: "n",
            command,
            stdout: "",
            stderr: "no",
            exitCode: 1,
            durationMs: 1,
            timedOut: false,
            truncated: false,
            killedForOutput: false,
            failed: true,
          };
        },
        close: async () => {},
      };
      const shell = new SudoShell(inner);
      const r = await shell.exec("echo 'a b'", { timeoutMs: 5000 });
      expect(seen[0]).to.equal(wrapForRoot("echo 'a b'", 5000));
      expect(seen[0]).to.equal(`sudo -n env LC_ALL=C timeout -s KILL 7 sh -c 'echo '\\''a b'\\'''`);
      expect(r.command).to.equal("echo 'a b'");
      await shell.exec("false", { reject: true }).then(
        () => expect.fail("should reject"),
        (e: Error) => expect(e.message).to.contain("false"),
      );
    });
  });

  describe("registry", () => {
    it("auto never picks vagrant (it takes containers last); --provider vagrant does", () => {
      expect(providersFor("auto").map((p) => p.name)).to.deep.equal(["netns", "uml", "containers"]);
      expect(providersFor("vagrant").map((p) => p.name)).to.deep.equal(["vagrant"]);
    });

    it("refuses switch-port changes with an infrastructure error", async () => {
      const started = new VagrantLab(lab, "k", [], async () => {});
      await started.setSwitchPort("node1", "enp0s3", { hairpin: true }).then(
        () => expect.fail("should throw"),
        (e: Error) => expect(e).to.be.instanceOf(InfrastructureError),
      );
    });
  });
});

describe("a vagrant lab's state.json", () => {
  const file = "/state/vagrant/two-hosts/state.json";
  const good = { backend: "docker", labFile: "/work/labs/two-hosts.yaml", labName: "two-hosts", instance: "0badcafe" };

  it("is read back as `up` wrote it", () => {
    expect(parseLabState(JSON.stringify(good), file)).to.deep.equal(good);
    const { instance: _, ...older } = good;
    expect(parseLabState(JSON.stringify(older), file)).to.deep.equal(older);
  });

  it("is refused, naming the file and the field, before it names a machine, a file or a variable", () => {
    for (const [bad, field] of [
      ["{", /not a lab state/],
      [JSON.stringify({ ...good, backend: "hyperv" }), /backend must be/],
      [JSON.stringify({ ...good, labFile: "labs/two-hosts.yaml" }), /labFile must be an absolute path/],
      [JSON.stringify({ ...good, labName: "../../etc" }), /labName/],
      [JSON.stringify({ ...good, instance: "$(reboot)" }), /instance must be 8 hex digits/],
    ] as const)
      expect(() => parseLabState(bad, file), String(bad))
        .to.throw(InputError, field)
        .with.property("message")
        .that.includes(file);
  });
});
