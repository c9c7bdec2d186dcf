import { expect } from "chai";
import { claimsText } from "../report/claims-table.ts";
import { type ClaimRow, claimsCsv, recordClaim } from "./claims.ts";

const row = (over: Partial<ClaimRow>): ClaimRow => ({
  scenario: "s",
  check: "c",
  claim: "box1 reaches box4",
  expected: "reachable, TTL 63",
  measured: "reachable, TTL 63",
  held: true,
  ...over,
});

describe("article vs measured", () => {
  it("is CSV a report shows as a table, quoting commas, quotes and line breaks", () => {
    const csv = claimsCsv([row({ claim: 'a "quoted", claim', measured: "line\nbreak" })]);
    expect(csv).to.equal(
      'check,claim (the article),expected,measured,verdict\r\nc,"a ""quoted"", claim","reachable, TTL 63","line\nbreak",holds\r\n',
    );
    expect(claimsCsv([row({ held: false })])).to.match(/does not hold\r\n$/);
  });

  it("prints per scenario in run order, both sides where they differ", () => {
    const text = claimsText(
      [
        row({ scenario: "later", claim: "x" }),
        row({ scenario: "first", claim: "y", held: false, measured: "unreachable" }),
      ],
      ["first", "later"],
    );
    expect(text).to.equal(
      [
        "Article vs measured (2 claims, 2 scenarios):",
        "  first",
        "    ✘ y: expected reachable, TTL 63, measured unreachable",
        "  later",
        "    ✔ x: measured reachable, TTL 63",
        "",
      ].join("\n"),
    );
    expect(claimsText([], ["first"])).to.equal("");
  });

  it("keeps one row per check: a check judged again replaces its claim in place", () => {
    const row = (check: string, measured: string): ClaimRow => ({
      scenario: "s",
      check,
      claim: check,
      expected: "reachable",
      measured,
      held: measured === "reachable",
    });
    const rows: ClaimRow[] = [];
    recordClaim(rows, row("a", "unreachable"));
    recordClaim(rows, row("b", "reachable"));
    recordClaim(rows, row("a", "reachable"));
    expect(rows.map((r) => `${r.check} ${r.measured}`)).to.deep.equal(["a reachable", "b reachable"]);
  });
});
