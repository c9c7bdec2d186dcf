import * as allure from "allure-js-commons";
import { boundAttachment } from "../run/bounded-attachment.ts";
import type { Reporting } from "../run/engine.ts";
import type { Recorder } from "../run/recorder.ts";
import { writeTimings } from "../run/timings.ts";
import { markResults } from "./result-marks.ts";
import { writeResultsMeta } from "./results-meta.ts";

/** The Recorder over allure-js-commons: inside a mocha run with allure-mocha, steps land in the test's result. */
export const allureRecorder: Recorder = {
  step: async (name, body) =>
    allure.step(name, (context) => body({ parameter: async (n, v) => void (await context.parameter(n, v)) })),
  // Every attachment, whoever makes it: a report must not be the thing that runs out of memory.
  async attach(name, content, contentType) {
    const bounded = boundAttachment({ name, content, contentType });
    await allure.attachment(bounded.name, bounded.content, bounded.contentType);
  },
  async describeTest(meta) {
    await allure.epic(meta.epic);
    await allure.feature(meta.feature);
    await allure.story(meta.story);
    await allure.severity(meta.severity);
    await allure.tags(...meta.tags);
    for (const [name, value] of Object.entries(meta.labels)) await allure.label(name, value);
    await allure.testCaseId(meta.testCaseId);
    for (const p of meta.parameters)
      await allure.parameter(p.name, p.value, p.excluded ? { excluded: true } : undefined);
    await allure.description(meta.description);
    for (const l of meta.links ?? []) await allure.link(l.url, l.name, "article");
  },
  note: async (markdown) => allure.description(markdown),
};

/** Allure results through allure-mocha (with mocha's spec reporter on the terminal), categories and environment. */
export const allureReporting: Reporting = {
  recorder: allureRecorder,
  mochaReporter: (resultsDir) => ({
    reporter: "allure-mocha",
    reporterOptions: { resultsDir, extraReporters: "spec" },
  }),
  finish(resultsDir, environment, summary, known) {
    writeResultsMeta(resultsDir, environment);
    writeTimings(resultsDir, summary.durations);
    markResults(resultsDir, known);
  },
};
