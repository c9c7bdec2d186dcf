import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { KNOWN_ISSUES_FILE, SCENARIOS_DIR } from "../model/paths.ts";
import { knownIssuesFor, loadKnownIssues } from "./known-issues.ts";
import { loadScenario } from "./load.ts";

const routed = loadScenario(join(SCENARIOS_DIR, "l3-routed.yaml")).scenario;
const same = loadScenario(join(SCENARIOS_DIR, "macvlan-same-network.yaml")).scenario;
const entry = (check: string) => `- check: ${check}\n  reason: it fails for a reason\n  link: https://example.org/1\n`;

describe("known issues", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "macvlab-known-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (text: string) => {
    const path = join(dir, "known-issues.yaml");
    writeFileSync(path, text);
    return path;
  };

  it("keeps a run's entries by check; an entry for a scenario the run does not have is not its business", () => {
    const known = loadKnownIssues(file(entry("l3-routed/box1-reaches-box4") + entry("vlan-routed/anything")), [routed]);
    expect([...known.keys()]).to.deep.equal(["l3-routed/box1-reaches-box4"]);
    expect(known.get("l3-routed/box1-reaches-box4")?.link).to.equal("https://example.org/1");
  });

  it("refuses a check its scenario does not have, a check listed twice, and (for the whole suite) an unknown scenario", () => {
    expect(() => loadKnownIssues(file(entry("l3-routed/nope")), [routed, same])).to.throw(
      /known-issues\.yaml:1:10: 0\.check: no check l3-routed\/nope in scenario l3-routed/,
    );
    const twice = entry("l3-routed/box1-reaches-box4").repeat(2);
    expect(() => loadKnownIssues(file(twice), [routed])).to.throw(
      /:4:10: 1\.check: l3-routed\/box1-reaches-box4 is listed twice/,
    );
    expect(() => loadKnownIssues(file(entry("nosuch/check")), [routed], true)).to.throw(/no scenario nosuch/);
  });

  it("reads the shipped file (an empty list) by default, and none when there is no file", () => {
    expect(knownIssuesFor(undefined, KNOWN_ISSUES_FILE, [routed]).size).to.equal(0);
    expect(knownIssuesFor(undefined, join(dir, "missing.yaml"), [routed]).size).to.equal(0);
    expect(() => knownIssuesFor(join(dir, "missing.yaml"), KNOWN_ISSUES_FILE, [routed])).to.throw(/cannot read/);
  });
});
