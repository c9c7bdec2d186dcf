import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import { parse } from "yaml";
import { KNOWN_ISSUES_FILE, LABS_DIR, SCENARIOS_DIR } from "../model/paths.ts";
import { type FileKind, jsonSchemaOf, renderJsonSchema, SCHEMA_FILES, schemaComment } from "./json-schemas.ts";

const shipped = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join(dir, f));
const FILES: Array<[FileKind, string]> = [
  ...shipped(LABS_DIR).map((f): [FileKind, string] => ["lab", f]),
  ...shipped(SCENARIOS_DIR).map((f): [FileKind, string] => ["scenario", f]),
  ["known-issues", KNOWN_ISSUES_FILE],
];

const ajv = new Ajv2020({ allErrors: true });
// The one format the schemas use (a known issue's link); editors know it, Ajv needs it named.
ajv.addFormat("uri", (value: string) => URL.canParse(value));
const validators = {
  lab: ajv.compile(jsonSchemaOf("lab")),
  scenario: ajv.compile(jsonSchemaOf("scenario")),
  "known-issues": ajv.compile(jsonSchemaOf("known-issues")),
};
const validatorOf = (kind: FileKind) => validators[kind];

describe("JSON Schemas of lab and scenario files", () => {
  for (const kind of ["lab", "scenario", "known-issues"] as const)
    it(`schemas/${kind}.schema.json is what the ${kind} model generates (else: npm run schemas)`, () => {
      expect(readFileSync(SCHEMA_FILES[kind], "utf8")).to.equal(renderJsonSchema(kind));
    });

  it("every shipped lab, scenario and known-issues file names its schema on its first line", () => {
    expect(FILES.length).to.be.at.least(15);
    const wrong = FILES.filter(
      ([kind, file]) => readFileSync(file, "utf8").split("\n")[0] !== schemaComment(kind, join(file, "..")),
    ).map(([, file]) => file);
    expect(wrong).to.deep.equal([]);
  });

  it("every shipped file is valid under its JSON Schema, as under the model", () => {
    for (const [kind, file] of FILES) {
      const validate = validatorOf(kind);
      const ok = validate(parse(readFileSync(file, "utf8")));
      expect(ok, `${file}: ${ajv.errorsText(validate.errors)}`).to.equal(true);
    }
  });

  describe("refuses what the model refuses", () => {
    const scenario = parse(readFileSync(join(SCENARIOS_DIR, "macvlan-same-network.yaml"), "utf8"));
    const validate = validatorOf("scenario");
    const firstCheck = () => structuredClone(scenario.checks[0]);
    const refused = (edit: (s: typeof scenario) => void) => {
      const copy = structuredClone(scenario);
      edit(copy);
      return !validate(copy);
    };

    it("an unknown key", () => expect(refused((s) => Object.assign(s, { pionts: 3 }))).to.equal(true));
    it("a check with two kinds", () =>
      expect(
        refused((s) => (s.checks[0] = { ...firstCheck(), sysctl: { node: "node2", key: "a", value: "1" } })),
      ).to.equal(true));
    it("a check with no kind", () =>
      expect(
        refused((s) => {
          const { link: _, ...rest } = firstCheck();
          s.checks[0] = rest;
        }),
      ).to.equal(true));
    it("a node name carrying shell", () => expect(refused((s) => (s.setup[0].node = "node2;reboot"))).to.equal(true));
    it("a scenario without negative controls", () => expect(refused((s) => (s.negative_controls = []))).to.equal(true));
    it("and accepts the file itself (the refusals above are the edits, not the fixture)", () =>
      expect(validate(scenario), ajv.errorsText(validate.errors)).to.equal(true));
  });
});
