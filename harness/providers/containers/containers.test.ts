import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { InputError } from "../../model/errors.ts";
import { containerName, labLabels } from "./containers-lab.ts";
import { currentContextEndpoint } from "./docker-context.ts";
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

  describe("the current docker context, as the docker CLI picks it", () => {
    let home: string;
    const context = (name: string, host: unknown, tls = false) => {
      const id = createHash("sha256").update(name).digest("hex");
      mkdirSync(join(home, ".docker", "contexts", "meta", id), { recursive: true });
      writeFileSync(
        join(home, ".docker", "contexts", "meta", id, "meta.json"),
        JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }),
      );
      if (tls) mkdirSync(join(home, ".docker", "contexts", "tls", id, "docker"), { recursive: true });
    };
    const current = (name: string) =>
      writeFileSync(join(home, ".docker", "config.json"), JSON.stringify({ currentContext: name }));
    beforeEach(() => {
      home = mkdtempSync(join(tmpdir(), "macvlab-docker-home-"));
      mkdirSync(join(home, ".docker"));
    });
    afterEach(() => rmSync(home, { recursive: true, force: true }));

    it("takes the endpoint of config.json's currentContext, with its TLS material", () => {
      context("desktop-linux", "unix:///Users/me/.docker/run/docker.sock");
      context("remote", "tcp://10.9.8.7:2376", true);
      current("desktop-linux");
      expect(currentContextEndpoint({}, home)).to.deep.equal({
        context: "desktop-linux",
        host: "unix:///Users/me/.docker/run/docker.sock",
        certPath: undefined,
      });
      current("remote");
      expect(currentContextEndpoint({}, home)?.certPath).to.equal(
        join(home, ".docker", "contexts", "tls", createHash("sha256").update("remote").digest("hex"), "docker"),
      );
    });

    it("lets DOCKER_HOST win, DOCKER_CONTEXT override config.json, and `default` mean no context", () => {
      context("desktop-linux", "unix:///run/desktop.sock");
      context("other", "unix:///run/other.sock");
      current("desktop-linux");
      expect(currentContextEndpoint({ DOCKER_HOST: "unix:///run/x.sock" }, home)).to.equal(undefined);
      expect(currentContextEndpoint({ DOCKER_CONTEXT: "other" }, home)?.host).to.equal("unix:///run/other.sock");
      current("default");
      expect(currentContextEndpoint({}, home)).to.equal(undefined);
    });

    it("refuses a context it cannot read or whose name or endpoint is not Docker's, naming the file", () => {
      current("../../etc");
      expect(() => currentContextEndpoint({}, home)).to.throw(InputError, "currentContext");
      current("gone");
      expect(() => currentContextEndpoint({}, home)).to.throw(InputError, "docker context gone");
      context("odd", "--privileged");
      expect(() => currentContextEndpoint({ DOCKER_CONTEXT: "odd" }, home)).to.throw(InputError, "meta.json");
    });
  });
});
