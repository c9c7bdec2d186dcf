// Mutation testing of the pure layers: parsers, expectations and the check kinds' judges.
// `npm run test:mutation` prints the score; the HTML report lands in reports/mutation/.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "mocha",
  plugins: ["@stryker-mutator/mocha-runner"],
  testRunnerNodeArgs: ["--import", "tsx"],
  mochaOptions: {
    spec: ["harness/parse/**/*.test.ts", "harness/expect/**/*.test.ts", "harness/checks/**/*.test.ts"],
    "no-config": true,
  },
  mutate: [
    "harness/parse/**/*.ts",
    "harness/expect/**/*.ts",
    "harness/checks/**/*.ts",
    "!harness/**/*.test.ts",
    "!harness/parse/fixture-files.ts",
  ],
  coverageAnalysis: "perTest",
  concurrency: 2,
  reporters: ["clear-text", "progress", "html"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: ".stryker-tmp",
  // Stryker rewrites tsconfig.json with TypeScript's JS API, which TypeScript 7 (native) no longer has;
  // tsx runs the tests without it, so the sandbox goes without.
  ignorePatterns: ["tsconfig.json", "reports", ".macvlab*", ".vagrant"],
  cleanTempDir: "always",
};
