import { join } from "node:path";
import { Job } from "kubernetes-models/batch/v1/Job";
import type { IContainer } from "kubernetes-models/v1/Container";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { stringify } from "yaml";
import { InputError } from "../model/errors.ts";
import { quoteName } from "../model/names.ts";
import { writeOutputFile } from "../report/output-file.ts";

/** What a cluster's nightly run needs to know: how many shards, which runner image, where results go. */
export interface NightlyCluster {
  readonly shards: number;
  /** The runner image (deploy/runner-image/build.sh), pushed where the cluster pulls from. */
  readonly image: string;
  /** A ReadWriteMany claim every shard and the merge mount at /results. */
  readonly claim: string;
}

export const NIGHTLY_DEFAULTS: NightlyCluster = { shards: 3, image: "macvlab-runner:latest", claim: "macvlab-results" };

const LABELS = { "app.kubernetes.io/name": "macvlab", "app.kubernetes.io/part-of": "macvlab-nightly" };
const RESULTS = "/results";
const HISTORY = `${RESULTS}/history/history.jsonl`;

/**
 * As the runner image runs it: uid 1000, no capability, no privilege escalation, the runtime's default
 * seccomp profile (UML needs ptrace of its own children, which that profile allows).
 */
const UNPRIVILEGED: Pick<IContainer, "securityContext"> = {
  securityContext: {
    runAsUser: 1000,
    runAsGroup: 1000,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  },
};

function podSpec(cluster: NightlyCluster, container: IContainer): IPodSpec {
  return {
    restartPolicy: "Never",
    securityContext: { fsGroup: 1000 },
    containers: [
      {
        ...container,
        image: cluster.image,
        ...UNPRIVILEGED,
        volumeMounts: [
          { name: "results", mountPath: RESULTS },
          // UML maps its memory from a file under /tmp (it needs exec, which /dev/shm is mounted without).
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
    ],
    volumes: [
      { name: "results", persistentVolumeClaim: { claimName: cluster.claim } },
      { name: "tmp", emptyDir: {} },
    ],
  };
}

/** Refuses what would make a manifest that the cluster rejects or that means something else. */
export function checkCluster(cluster: NightlyCluster): NightlyCluster {
  if (!Number.isInteger(cluster.shards) || cluster.shards < 1 || cluster.shards > 999)
    throw new InputError(`--shards ${cluster.shards}: give a whole number from 1 to 999`);
  if (!/^[a-z0-9]+(?:[._/:@-][a-zA-Z0-9]+)*$/.test(cluster.image) || cluster.image.length > 255)
    throw new InputError(
      `--image ${quoteName(cluster.image)}: give an image reference like registry.example/macvlab-runner:1`,
    );
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(cluster.claim))
    throw new InputError(`--claim ${quoteName(cluster.claim)}: give a Kubernetes name (lower-case letters, digits, -)`);
  return cluster;
}

/**
 * The nightly run as Kubernetes objects, built with kubernetes-models' typed classes (the compiler checks
 * every field name) and validated against the Kubernetes API schema before anything is written:
 * a claim for the results; an Indexed Job, one shard per index (`JOB_COMPLETION_INDEX`), each index
 * retried once on its own and none stopping the others; the merge Job, applied once the shards are done.
 */
export function nightlyManifests(cluster: NightlyCluster): Record<string, PersistentVolumeClaim | Job> {
  checkCluster(cluster);
  const claim = new PersistentVolumeClaim({
    metadata: { name: cluster.claim, labels: LABELS },
    spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "5Gi" } } },
  });
  const shards = new Job({
    metadata: { name: "macvlab-nightly-shards", labels: LABELS },
    spec: {
      completionMode: "Indexed",
      completions: cluster.shards,
      parallelism: cluster.shards,
      backoffLimitPerIndex: 1,
      // Every shard runs to its end whatever the others do: the merge reports them all (fail-fast off).
      maxFailedIndexes: cluster.shards,
      activeDeadlineSeconds: 5400,
      ttlSecondsAfterFinished: 7 * 86400,
      template: {
        metadata: { labels: { ...LABELS, "app.kubernetes.io/component": "shard" } },
        spec: podSpec(cluster, {
          name: "shard",
          // The entry point turns JOB_COMPLETION_INDEX into --shard i/SHARD_COUNT and /results/shard-i.
          env: [{ name: "SHARD_COUNT", value: String(cluster.shards) }],
          resources: { requests: { cpu: "2", memory: "3Gi" }, limits: { memory: "4Gi" } },
        }),
      },
    },
  });
  const merge = new Job({
    metadata: { name: "macvlab-nightly-merge", labels: LABELS },
    spec: {
      backoffLimit: 1,
      ttlSecondsAfterFinished: 7 * 86400,
      template: {
        metadata: { labels: { ...LABELS, "app.kubernetes.io/component": "merge" } },
        spec: podSpec(cluster, {
          name: "merge",
          command: ["node", "/opt/macvlab/bin/macvlab.js"],
          args: [
            "report",
            ...Array.from({ length: cluster.shards }, (_, i) => ["--results", `${RESULTS}/shard-${i + 1}`]).flat(),
            "--history",
            HISTORY,
            "-o",
            `${RESULTS}/report`,
            "--junit",
            `${RESULTS}/junit.xml`,
            "--summary",
            `${RESULTS}/summary.md`,
            "--gate",
          ],
          resources: { requests: { cpu: "1", memory: "1Gi" } },
        }),
      },
    },
  });
  for (const object of [claim, shards, merge]) object.validate();
  return { "results-claim.yaml": claim, "nightly-shards.yaml": shards, "nightly-merge.yaml": merge };
}

/** The manifests as the files deploy/k8s/ holds, each with a header saying how it was made. */
export function renderManifests(cluster: NightlyCluster): Record<string, string> {
  const header = `# Made by \`macvlab k8s --shards ${cluster.shards} --image ${cluster.image} --claim ${cluster.claim}\`; edit that, not this file.\n`;
  return Object.fromEntries(
    Object.entries(nightlyManifests(cluster)).map(([file, object]) => [
      file,
      `${header}${stringify(object.toJSON(), { lineWidth: 0 })}`,
    ]),
  );
}

/** `macvlab k8s -o DIR`: one file per object; returns the files written. */
export function writeManifests(dir: string, cluster: NightlyCluster): string[] {
  return Object.entries(renderManifests(cluster)).map(([name, text]) => {
    const file = join(dir, name);
    writeOutputFile(file, text, "--output");
    return file;
  });
}
