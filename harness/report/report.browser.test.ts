import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as allure from "allure-js-commons";
import { expect } from "chai";
import { type Browser, chromium, type Page } from "playwright-core";
import { PROJECT_ROOT, SCENARIOS_DIR } from "../model/paths.ts";
import { loadScenario } from "../scenario/load.ts";
import { hostSnapshot, strayProcesses } from "../testing/host-snapshot.ts";
import { serveDirectory } from "../testing/static-server.ts";

/**
 * The HTML report as a person sees it, in a real browser (Debian's chromium driven by playwright-core):
 * a run broken on purpose, its failed check found in the tree, and on that check's page the verdict,
 * expected vs seen, the evidence and the topology picture. The page's screenshot goes into this test's
 * own Allure result (`npm run test:browser` writes reports/browser-results).
 */

const BIN = join(PROJECT_ROOT, "bin", "macvlab.js");
const CHROMIUM = process.env.MACVLAB_CHROMIUM ?? "/usr/bin/chromium";
const SCENARIO_FILE = join(SCENARIOS_DIR, "macvlan-same-network.yaml");

describe("the HTML report in a browser (root, netns provider, chromium)", function () {
  this.timeout(240_000);
  const { scenario } = loadScenario(SCENARIO_FILE);
  const control = scenario.negative_controls[0];
  if (!control) throw new Error("the scenario has no negative control");
  const broken = scenario.checks.find((c) => c.id === control.flips[0]);
  if (!broken) throw new Error(`no check ${control.flips[0]}`);
  let work: string;
  let site: Awaited<ReturnType<typeof serveDirectory>>;
  let browser: Browser;
  let page: Page;
  let failure: { message: string };
  let hostBefore: string;

  before(async () => {
    hostBefore = hostSnapshot();
    if (!existsSync(CHROMIUM))
      throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set MACVLAB_CHROMIUM)`);
    work = mkdtempSync(join(tmpdir(), "macvlab-browser-"));
    const results = join(work, "results");
    const history = join(work, "history", "history.jsonl");
    const env = { ...process.env, MACVLAB_STATE_DIR: join(work, "state") };
    // The night before: the same scenario, unbroken, reported into the same history.
    const night = spawnSync(
      process.execPath,
      [BIN, "run", SCENARIO_FILE, "--provider", "netns", "--results", results],
      {
        encoding: "utf8",
        env,
        timeout: 200_000,
      },
    );
    expect(night.status, `the night before passes:\n${night.stdout}${night.stderr}`).to.equal(0);
    const before = spawnSync(
      process.execPath,
      [BIN, "report", "--results", results, "-o", join(work, "report"), "--history", history],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(before.status, before.stderr).to.equal(0);
    const run = spawnSync(
      process.execPath,
      [BIN, "run", SCENARIO_FILE, "--provider", "netns", "--break", control.id, "--results", results],
      { encoding: "utf8", env, timeout: 200_000 },
    );
    expect(run.status, `a run with --break ${control.id} fails:\n${run.stdout}${run.stderr}`).to.equal(1);
    const report = spawnSync(
      process.execPath,
      [BIN, "report", "--results", results, "-o", join(work, "report"), "--history", history],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(report.status, report.stderr).to.equal(0);
    // What the run recorded for the broken check: the page must show the same words.
    const recorded = readdirSync(results)
      .filter((f) => f.endsWith("-result.json"))
      .map((f) => JSON.parse(readFileSync(join(results, f), "utf8")))
      .find((r) => r.name.startsWith(`${broken.id}:`));
    expect(recorded?.status, "the broken check's result").to.equal("failed");
    failure = { message: String(recorded.statusDetails.message).split("\n")[0] ?? "" };
    site = await serveDirectory(join(work, "report"));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(site.url);
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    if (work) rmSync(work, { recursive: true, force: true });
    expect(hostSnapshot(), "host root namespace changed").to.equal(hostBefore);
    expect(strayProcesses(), "processes left behind").to.deep.equal([]);
  });

  it("opens on a tree by scenario, then its checks", async () => {
    await page.getByText(`${scenario.id}: ${scenario.title}`).first().waitFor();
    expect(await page.getByText("checks", { exact: true }).count()).to.be.greaterThan(0);
  });

  it("finds the failed check and shows its verdict, expected vs seen, evidence and topology picture", async () => {
    await page.getByText(`${broken.id}: ${broken.title}`).first().click();
    await page.getByText("Failed", { exact: true }).first().waitFor();
    const body = () => page.locator("body").textContent();
    expect(await body()).to.include(failure.message);
    expect(failure.message).to.match(/expected .*, saw /);
    for (const name of ["verdict", "topology", "evidence node2"])
      await page.getByText(name, { exact: true }).first().waitFor();
    await page.getByText("topology", { exact: true }).first().click();
    // The report shows an SVG attachment as an image: it must have rendered, and be this lab and check.
    const picture = page.locator('img[alt$="-attachment.svg"]').first();
    await picture.waitFor();
    const loaded = await picture.evaluate((element) => {
      const img = element as unknown as { complete: boolean; naturalWidth: number };
      return img.complete && img.naturalWidth > 100;
    });
    expect(loaded, "the picture rendered").to.equal(true);
    const src = await picture.getAttribute("src");
    // Graphviz writes some characters as entities (`-` as &#45;): read the text as a reader sees it.
    const drawn = (await page.evaluate(async (url) => (await fetch(url ?? "")).text(), src)).replace(
      /&#(\d+);/g,
      (_, code: string) => String.fromCharCode(Number(code)),
    );
    expect(drawn).to.include("node2").and.include("node3").and.include("enp0s3").and.include(broken.id);
    expect(drawn, "the broken check is drawn red").to.include("#c62828");
    const shot = await page.screenshot({ fullPage: true });
    await allure.attachment("the failed check's page", shot, "image/png");
    expect(shot.length).to.be.greaterThan(10_000);
  });

  it("shows the scenario's article-vs-measured table, the broken claim marked", async () => {
    await page
      .getByText(/"after all" hook: cleanup and bring down lab/)
      .first()
      .click();
    await page.getByText("article vs measured", { exact: true }).first().click();
    const row = page.locator("tr").filter({ hasText: broken.title }).first();
    await row.waitFor();
    expect(await row.textContent()).to.include("does not hold");
    const held = page.locator("tr").filter({ hasText: "holds" });
    expect(await held.count()).to.be.greaterThan(0);
    // Beside it, the scenario's whole picture: the broken check red among the others.
    await page.getByText("topology: every check", { exact: true }).first().waitFor();
  });

  it("after a second night: the check's history holds the night before, and the graphs show a trend", async () => {
    await page.goto(site.url);
    await page.getByText(`${broken.id}: ${broken.title}`).first().click();
    await page.getByText("Failed", { exact: true }).first().waitFor();
    await page
      .getByText(/^History/)
      .first()
      .click();
    // The night before: one earlier result of this check, with its date.
    await page
      .getByText(/^\d{1,2}\/\d{1,2}\/\d{4} at \d{1,2}:\d{2}:\d{2}$/)
      .first()
      .waitFor();
    // The rendered text, line by line, as a reader sees it (textContent runs the words together).
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered lines are what is asserted
    expect(await page.locator("body").innerText()).to.match(/History\s+1\s/);
    await page.goto(`${site.url}#charts`);
    await page.getByText("Status dynamics", { exact: true }).first().waitFor();
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered lines are what is asserted
    const graphs = await page.locator("body").innerText();
    // Two points on the trend: the night before (its date) and this report ("Latest").
    expect(graphs).to.match(/Status dynamics\s+\d{1,2}\/\d{1,2}\/\d{4}\s+Latest/);
    // A check that passed the night before and failed now is a transition the graph counts.
    expect(graphs)
      .to.match(/Status transitions\s/)
      .and.not.match(/Status transitions\s+No results/);
    const shot = await page.screenshot({ fullPage: true });
    await allure.attachment("the graphs after two nights", shot, "image/png");
  });
});
