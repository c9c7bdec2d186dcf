import { expect } from "chai";
import { fakeProbeEnv, rejection } from "../testing/fake-probe-env.ts";
import { capture } from "./capture.ts";
import { link } from "./link.ts";
import { ping } from "./ping.ts";
import { route } from "./route.ts";
import { inPlace } from "./shared.ts";

const CONTEXT = { checkId: "c", deadlineMs: 1000 };

describe("a check's place: node, namespace or Docker container", () => {
  it("runs the node's own tools in a container's network namespace, found through the node's engine", () => {
    expect(inPlace({ container: "busybox1" }, "ip -j route show")).to.equal(
      `sh -c 'k=$(docker container inspect --format "{{.NetworkSettings.SandboxKey}}" -- "$0") && [ -n "$k" ] || exit 125; exec nsenter --net="$k" -- "$@"' busybox1 ip -j route show`,
    );
    expect(inPlace({ netns: "net1" }, "ip -j route show")).to.equal("ip netns exec net1 ip -j route show");
    expect(inPlace({}, "ip -j route show")).to.equal("ip -j route show");
  });

  it("the container form is a read-only shape grading accepts; other ways into a container are not", () => {
    const spec = route.schema.parse({ node: "node2", container: "busybox1", dst: "default", via: "172.16.5.1" });
    const [planned] = route.commands(spec, CONTEXT);
    expect(route.readOnly.some((shape) => shape.test(planned?.command ?? ""))).to.equal(true);
    for (const other of [
      "docker exec busybox1 ip -j route show",
      `${planned?.command}; rm -rf /`,
      (planned?.command ?? "").replace("exit 125", "exit 0"),
      (planned?.command ?? "").replace("busybox1", "busybox1 x"),
    ])
      expect(
        route.readOnly.some((shape) => shape.test(other)),
        other,
      ).to.equal(false);
  });

  it("a capture's traffic may start in a container: its ping goes through the same form, which grading accepts", () => {
    const spec = capture.schema.parse({
      node: "node1",
      dev: "enp0s3",
      traffic: { from: "node2", container: "box1", to: "172.16.10.11" },
      vlan: 100,
    });
    const ping = capture.commands(spec, CONTEXT).find((c) => c.node === "node2");
    expect(ping?.command).to.match(/^sh -c .* box1 env LC_ALL=C ping /);
    expect(capture.readOnly.some((shape) => shape.test(ping?.command ?? ""))).to.equal(true);
    expect(capture.places(spec)).to.deep.include({ node: "node2", netns: undefined, container: "box1" });
  });

  it("a spec names a namespace or a container, not both", () => {
    expect(() => ping.schema.parse({ from: "node2", netns: "net1", container: "busybox1", to: "10.0.0.1" })).to.throw(
      /netns or a container, not both/,
    );
    expect(() => link.schema.parse({ node: "node2", container: "bad name", dev: "eth0" })).to.throw(/container name/);
  });

  it("a container that is not running is the check's own failure (exit 125), never an unanswered ping", async () => {
    const spec = ping.schema.parse({ from: "node2", container: "busybox1", to: "172.16.5.3", expect: "unreachable" });
    const { env, ran } = fakeProbeEnv({
      exitCode: 125,
      failed: true,
      stderr: "Error response from daemon: No such container: busybox1",
    });
    const error = await rejection(ping.probe(spec, env, CONTEXT));
    expect(error.message)
      .to.contain("could not run ping on node2/busybox1 (container)")
      .and.contain("No such container");
    expect(ran[0]).to.match(/^node2: sh -c .* busybox1 env LC_ALL=C ping /);
  });
});
