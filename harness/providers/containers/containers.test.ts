import { expect } from "chai";
import { InputError } from "../../model/errors.ts";
import { containerName, labLabels } from "./containers-lab.ts";
import { LABEL, nodeImage } from "./engine.ts";
import { NODE_HOST_CONFIG, SWITCH_HOST_CONFIG } from "./lab-containers.ts";

describe("containers provider: names, labels, settings", () => {
  it("takes the node image from MACVLAB_NODE_IMAGE only when it is a local image name", () => {
    expect(nodeImage({})).to.equal("macvlab-node:latest");
    expect(nodeImage({ MACVLAB_NODE_IMAGE: "lab/node:v2" })).to.equal("lab/node:v2");
    for (const bad of ["--privileged", "node;rm -rf /", "Node:Latest", "a b", "../x"])
      expect(() => nodeImage({ MACVLAB_NODE_IMAGE: bad }), bad).to.throw(InputError, "MACVLAB_NODE_IMAGE");
  });

  it("names containers so that no lab, node or instance can collide with another", () => {
    // `.` is in no lab or node name: lab "a-" with node "b" is not lab "a" with node "-b" or "a-.b".
    const names = [
      containerName("1234abcd", "a-", "b"),
      containerName("1234abcd", "a", "b"),
      containerName("1234abcd", "a"),
      containerName("1234abcd", "a-b"),
      containerName("99999999", "a", "b"),
    ];
    expect(new Set(names).size).to.equal(names.length);
    expect(containerName("1234abcd", "two-hosts", "node2")).to.equal("macvlab-1234abcd.two-hosts.node2");
  });

  it("labels a lab by its instance and name: what down removes by, and nothing wider", () => {
    expect(labLabels("1234abcd", "two-hosts")).to.deep.equal({
      [LABEL.instance]: "1234abcd",
      [LABEL.lab]: "two-hosts",
    });
  });

  it("gives nodes the capabilities the articles need and never privileged mode or the host's processes", () => {
    expect(NODE_HOST_CONFIG.CapAdd).to.have.members(["NET_ADMIN", "NET_RAW", "SYS_ADMIN"]);
    expect(NODE_HOST_CONFIG.Privileged).to.equal(undefined);
    expect(NODE_HOST_CONFIG.PidMode).to.equal(undefined);
    expect(NODE_HOST_CONFIG.ReadonlyPaths).to.deep.equal([]);
    // Only the switch sees the engine host's processes, to reach each node's namespace by pid.
    expect(SWITCH_HOST_CONFIG.PidMode).to.equal("host");
    expect(SWITCH_HOST_CONFIG.Privileged).to.equal(undefined);
  });
});
