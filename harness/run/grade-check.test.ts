import { expect } from "chai";
import { ConnectionLostError } from "../model/errors.ts";
import { Check, type CheckSpec } from "../scenario/schema.ts";
import { fakeProbeEnv } from "../testing/fake-probe-env.ts";
import type { ShellResult } from "../transport/shell.ts";
import { gradeCheck } from "./grade-check.ts";

const check = (extra: object): CheckSpec =>
  Check.parse({ id: "c", title: "t", hint: "look at the route", points: 3, ...extra });
const routeCheck = check({ route: { node: "n", netns: "box1", dst: "default" } });

/** A lab whose every command ends with `answer`, or throws it. */
const lab = (answer: Partial<ShellResult> | Error) =>
  fakeProbeEnv(() => {
    if (answer instanceof Error) throw answer;
    return answer;
  }).env;

describe("grading one check", () => {
  it("a check's command failing on the node is the student's lab: failed, with the reason and the hint", async () => {
    const grade = await gradeCheck(
      "demo",
      routeCheck,
      lab({ exitCode: 1, stderr: "Cannot open network namespace" }),
      new Set(),
    );
    expect(grade.status).to.equal("failed");
    expect(grade.earned).to.equal(0);
    expect(grade.hint).to.equal("look at the route");
    expect(grade.reason).to.match(/^could not run: check c: read-only command failed on n \(exit 1\)/);
  });

  it("a lost connection is not the student's doing: it is thrown, never scored", async () => {
    const lost = new ConnectionLostError("node n: SSH connection lost (connection closed by the server)");
    let thrown: unknown;
    await gradeCheck("demo", routeCheck, lab(lost), new Set()).catch((error: unknown) => {
      thrown = error;
    });
    expect(thrown).to.equal(lost);
  });

  it("a check that holds earns its points; one that needs a failed check is blocked by it", async () => {
    const routes = JSON.stringify([{ dst: "default", gateway: "10.0.0.1", dev: "eth0", flags: [] }]);
    const passed = await gradeCheck("demo", routeCheck, lab({ stdout: routes }), new Set());
    expect([passed.status, passed.earned]).to.deep.equal(["passed", 3]);
    const dependent = check({ needs: ["first"], route: { node: "n", dst: "default" } });
    const blocked = await gradeCheck("demo", dependent, lab({ stdout: routes }), new Set());
    expect([blocked.status, blocked.reason]).to.deep.equal(["blocked", "blocked by first"]);
  });

  it("a check that changes the lab while it measures is not graded, says which change, and runs nothing", async () => {
    const changing = check({
      needs: ["first"],
      route: { node: "n", dst: "default" },
      while: {
        title: "enp0s3's cable pulled",
        do: [{ switch_port: { node: "n", nic: "enp0s3", link: "down" } }],
        undo: [{ switch_port: { node: "n", nic: "enp0s3", link: "up" } }],
      },
    });
    const { env, ran } = fakeProbeEnv({ stdout: "[]" });
    const grade = await gradeCheck("demo", changing, env, new Set());
    expect([grade.status, grade.earned]).to.deep.equal(["not-graded", 0]);
    expect(grade.reason).to.equal(
      "changes the lab while it measures (enp0s3's cable pulled): `macvlab run` measures it, grading only looks",
    );
    expect(ran).to.deep.equal([]);
  });

  it("a kind that judges the harness's own setup is not graded", async () => {
    const stepCheck = check({ step: { id: "second-child" } });
    expect((await gradeCheck("demo", stepCheck, lab({}), new Set())).status).to.equal("not-graded");
  });
});
