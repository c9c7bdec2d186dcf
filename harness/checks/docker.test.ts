import { expect } from "chai";
import { holds } from "../expect/outcome.ts";
import { CheckCommandError } from "../model/errors.ts";
import { fixture } from "../parse/fixture-files.ts";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import { docker } from "./docker.ts";

// Captured from Docker 20.10 in a node of the docker-one-host lab (see parse/fixtures/README.md).
const NETWORK = fixture("docker-network-inspect-macvlan.json");
const PRIVATE_NETWORK = fixture("docker-network-inspect-private.json");
const CONTAINER = fixture("docker-container-inspect.json");

const spec = (fields: object) => docker.schema.parse({ node: "node1", ...fields });
const probe = async (fields: object, answer: Parameters<typeof fakeProbeEnv>[0]) => {
  const { env, ran } = fakeProbeEnv(answer);
  const outcome = await docker.probe(spec(fields), env, { checkId: "d", deadlineMs: 100 });
  return { outcome, ran };
};

describe("check kind docker", () => {
  it("reads a network as the engine records it: driver, parent, subnet, gateway, and bridge as the default mode", async () => {
    const { outcome, ran } = await probe(
      {
        network: "macnet",
        driver: "macvlan",
        parent: "enp0s8",
        mode: "bridge",
        subnet: "192.168.11.0/24",
        gateway: "192.168.11.1",
      },
      { stdout: NETWORK },
    );
    expect(ran).to.deep.equal(["node1: docker network inspect macnet"]);
    expect(outcome.actual).to.equal(
      "present, driver macvlan, parent enp0s8, mode bridge, subnet 192.168.11.0/24, gateway 192.168.11.1",
    );
    expect(holds(outcome)).to.equal(true);
  });

  it("says which facet differs, in the words the scenario used", async () => {
    const { outcome } = await probe(
      { network: "privnet", mode: "bridge", parent: "enp0s9" },
      { stdout: PRIVATE_NETWORK },
    );
    expect([outcome.expected, outcome.actual]).to.deep.equal([
      "present, parent enp0s9, mode bridge",
      "present, parent enp0s9, mode private",
    ]);
    expect(holds(outcome)).to.equal(false);
  });

  it("reads a container's endpoint on the network it names, and says where it is when it is elsewhere", async () => {
    const fields = { container: "bridge1", running: true, ip: "192.168.11.11", gateway: "192.168.11.1" };
    const on = await probe({ ...fields, network: "macnet" }, { stdout: CONTAINER });
    expect(on.ran).to.deep.equal(["node1: docker container inspect bridge1"]);
    expect(holds(on.outcome), on.outcome.actual).to.equal(true);
    const elsewhere = await probe({ ...fields, network: "privnet" }, { stdout: CONTAINER });
    expect(elsewhere.outcome.actual).to.equal(
      "present, on privnet: no (on macnet), running true, ip none, gateway none",
    );
  });

  it("reads the image a container was run from as docker run named it, and refuses a name a shell would read", async () => {
    const same = await probe({ container: "bridge1", image: "busybox" }, { stdout: CONTAINER });
    expect([same.outcome.actual, holds(same.outcome)]).to.deep.equal(["present, image busybox", true]);
    const pulled = await probe({ container: "bridge1", image: "192.168.1.11:5000/busybox:v1" }, { stdout: CONTAINER });
    expect([pulled.outcome.expected, pulled.outcome.actual]).to.deep.equal([
      "present, image 192.168.1.11:5000/busybox:v1",
      "present, image busybox",
    ]);
    const accepted = (image: string) => docker.schema.safeParse({ node: "n", container: "c1", image }).success;
    expect(["busybox", "registry:latest", "192.168.1.11:5000/busybox:v1"].map(accepted)).to.deep.equal([
      true,
      true,
      true,
    ]);
    expect(["busybox;reboot", "$(id)", "Busybox", ""].map(accepted)).to.deep.equal([false, false, false, false]);
    expect(docker.schema.safeParse({ node: "n", network: "n1", image: "busybox" }).success).to.equal(false);
  });

  it("calls a name the engine does not know absent, which a check may expect", async () => {
    // Docker 20.10's own words, captured with the fixtures.
    const missing = { exitCode: 1, stdout: "[]\n", stderr: "Error response from daemon: network macnet not found\n" };
    const noContainer = {
      exitCode: 1,
      stdout: "[]\n",
      stderr: "Error response from daemon: No such container: bridge1\n",
    };
    expect(holds((await probe({ container: "bridge1", exists: false }, noContainer)).outcome)).to.equal(true);
    expect(holds((await probe({ network: "macnet", exists: false }, missing)).outcome)).to.equal(true);
    const { outcome } = await probe({ network: "macnet", driver: "macvlan" }, missing);
    expect([outcome.expected, outcome.actual]).to.deep.equal(["present, driver macvlan", "absent"]);
    expect(holds((await probe({ network: "macnet", exists: false }, { stdout: NETWORK })).outcome)).to.equal(false);
  });

  it("calls any other failure of the engine the check's own failure, never a verdict", async () => {
    const { env } = fakeProbeEnv({
      exitCode: 1,
      stderr: "Cannot connect to the Docker daemon at unix:///run/docker.sock",
    });
    const error = await rejection(docker.probe(spec({ network: "macnet" }), env, { checkId: "d", deadlineMs: 100 }));
    expect(error).to.be.instanceOf(CheckCommandError);
    expect(error.message).to.match(/check d: read-only command failed on node1 \(exit 1\)/);
  });

  it("refuses facets that do not belong to what it inspects, and a container endpoint without its network", () => {
    const accepted = (fields: object) => docker.schema.safeParse({ node: "node1", ...fields }).success;
    expect(accepted({ container: "c1", driver: "macvlan" })).to.equal(false);
    expect(accepted({ network: "n1", ip: "10.0.0.1" })).to.equal(false);
    expect(accepted({ container: "c1", ip: "10.0.0.1" })).to.equal(false);
    expect(accepted({ driver: "macvlan" })).to.equal(false);
    expect(accepted({ network: "n1; reboot" })).to.equal(false);
    expect(accepted({ container: "c1", network: "n1", ip: "10.0.0.1" })).to.equal(true);
  });

  it("runs only the inspection its read-only pattern admits", () => {
    for (const fields of [{ network: "macnet" }, { container: "bridge1", network: "macnet" }]) {
      const [planned] = docker.commands(spec(fields), { checkId: "d", deadlineMs: 1 });
      expect(
        docker.readOnly.some((p) => p.test(planned?.command ?? "")),
        planned?.command,
      ).to.equal(true);
    }
    expect(docker.readOnly.some((p) => p.test("docker network rm macnet"))).to.equal(false);
  });
});
