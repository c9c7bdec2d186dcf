import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { parseAllDocuments } from "yaml";
import { PROJECT_ROOT } from "../model/paths.ts";
import { NIGHTLY_DEFAULTS, nightlyManifests, renderManifests } from "./k8s.ts";

const DEPLOY = join(PROJECT_ROOT, "deploy", "k8s");

describe("Kubernetes manifests of the nightly run", () => {
  it("deploy/k8s/ holds what `macvlab k8s` renders by default (else: npm run k8s)", () => {
    const rendered = renderManifests(NIGHTLY_DEFAULTS);
    expect(readdirSync(DEPLOY).sort()).to.deep.equal(Object.keys(rendered).sort());
    for (const [file, text] of Object.entries(rendered))
      expect(readFileSync(join(DEPLOY, file), "utf8")).to.equal(text);
  });

  it("every shipped manifest is valid against the Kubernetes API schema, read back from its file", () => {
    for (const file of readdirSync(DEPLOY)) {
      const [doc] = parseAllDocuments(readFileSync(join(DEPLOY, file), "utf8"));
      const object = doc?.toJS();
      const model = { Job, PersistentVolumeClaim }[object.kind as "Job" | "PersistentVolumeClaim"];
      expect(model, `${file}: kind ${object.kind}`).to.not.equal(undefined);
      expect(() => new model(object).validate(), file).not.to.throw();
      expect(object.metadata.labels["app.kubernetes.io/name"], file).to.equal("macvlab");
    }
  });

  it("one shard per index, unprivileged, each index retried on its own, none stopping the others; the merge reads them all", () => {
    const { "nightly-shards.yaml": shards, "nightly-merge.yaml": merge } = nightlyManifests({
      ...NIGHTLY_DEFAULTS,
      shards: 5,
      image: "registry.example/macvlab-runner:7",
    });
    const spec = (shards as Job).spec;
    expect(spec?.completionMode).to.equal("Indexed");
    expect([spec?.completions, spec?.parallelism, spec?.maxFailedIndexes, spec?.backoffLimitPerIndex]).to.deep.equal([
      5, 5, 5, 1,
    ]);
    const container = spec?.template.spec?.containers[0];
    expect(container?.image).to.equal("registry.example/macvlab-runner:7");
    expect(container?.env).to.deep.include({ name: "SHARD_COUNT", value: "5" });
    expect(container?.securityContext).to.include({
      runAsUser: 1000,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
    });
    expect(container?.securityContext?.capabilities?.drop).to.deep.equal(["ALL"]);
    const args = (merge as Job).spec?.template.spec?.containers[0]?.args ?? [];
    expect(args.filter((a) => a.startsWith("/results/shard-"))).to.deep.equal(
      [1, 2, 3, 4, 5].map((i) => `/results/shard-${i}`),
    );
    expect(args).to.include("--gate").and.include("/results/history/history.jsonl");
  });

  it("refuses a shard count, an image or a claim that would make another manifest than asked", () => {
    expect(() => nightlyManifests({ ...NIGHTLY_DEFAULTS, shards: 0 })).to.throw(/--shards 0/);
    expect(() => nightlyManifests({ ...NIGHTLY_DEFAULTS, image: "x; rm -rf /" })).to.throw(/--image "x; rm -rf \/"/);
    expect(() => nightlyManifests({ ...NIGHTLY_DEFAULTS, claim: "Results" })).to.throw(/--claim "Results"/);
  });
});
