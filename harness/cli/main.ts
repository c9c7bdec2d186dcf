import { join } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { NIGHTLY_DEFAULTS, renderManifests, writeManifests } from "../deploy/k8s.ts";
import { exitCodeFor, InputError, MacvlabError } from "../model/errors.ts";
import { Id, LabName, NodeName } from "../model/names.ts";
import {
  CLASS_REPORTS_DIR,
  classRoot,
  DEFAULT_RESULTS_DIR,
  GRADE_JSON,
  GRADE_JUNIT,
  HISTORY_FILE,
  KEEP_COMMAND,
  REPORT_DIR,
  RUBRIC_RESULTS_DIR,
  SCENARIOS_DIR,
} from "../model/paths.ts";
import { display } from "../model/yaml-source.ts";
import { PROVIDER_NAMES, providerNamed } from "../providers/registry.ts";
import { allureReporting } from "../report/allure-reporting.ts";
import { claimsText } from "../report/claims-table.ts";
import { publishClass } from "../report/class-summary.ts";
import { flakeRows, flakesText } from "../report/flakes.ts";
import { publishGrade } from "../report/grade-report.ts";
import { publishReport } from "../report/publish-report.ts";
import { listedText, runTally } from "../report/run-tally.ts";
import { taskSheet } from "../report/task-sheet.ts";
import { doctor } from "../run/doctor.ts";
import { unexplainedFailures } from "../run/engine.ts";
import { gradeScenarios } from "../run/grade-scenarios.ts";
import { labGraph } from "../run/graph.ts";
import { parseJobs } from "../run/job-plan.ts";
import { serveJob } from "../run/job-worker.ts";
import { labDown, labUp, listAll, listRunning } from "../run/labs.ts";
import { setProgressSink } from "../run/progress.ts";
import { listScenarios, runScenarios } from "../run/run-scenarios.ts";
import { parseShard, type Shard } from "../run/shard.ts";
import { sshInto } from "../run/ssh.ts";
import { findScenario } from "../scenario/load-all.ts";
import { newScenario } from "../scenario/skeleton.ts";
import { validateFiles } from "../scenario/validate-files.ts";
import { outputCapFromEnv } from "../transport/bounded-output.ts";
import {
  nameArg,
  nameOrFileArg,
  namesArg,
  parseHistoryLimit,
  parseRetries,
  parseShardCount,
  providerArg,
  stageArg,
} from "./arguments.ts";

const providerOption = () =>
  new Option(
    "-p, --provider <name>",
    `lab provider: auto (the fastest that can run each scenario) or one of ${PROVIDER_NAMES.join(", ")}`,
  )
    .argParser(providerArg)
    .default("auto");

const jobsOption = () =>
  new Option(
    "-j, --jobs <n>",
    "scenarios at once, each on lab instances of its own; auto (the default): two per CPU as memory allows, but one on vagrant; 1: one after another",
  ).argParser(parseJobs);

const waitOption = () =>
  new Option("--wait", "when another macvlab process holds the lab, wait for it instead of failing with exit 2");
/** A student of a class: their labs in a state root of their own (`<state dir>/class/<id>`), their grade apart. */
const asOption = () =>
  new Option("--as <student>", "a class's student: labs and grade of their own (an id like s-042)").argParser(
    nameArg(Id, "--as"),
  );

export function buildProgram(): Command {
  const program = new Command("macvlab")
    .description(
      "Linux network-virtualisation experiments (macvlan, 802.1Q, ipvlan, routing) as automated, graded checks",
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // A bad cap must stop every command before it builds anything, not fail mid-run.
    .hook("preAction", () => void outputCapFromEnv())
    // `--as s-042`: every state path of this command is the student's own (the id is checked by its parser).
    .hook("preAction", (_program, action) => {
      const student = action.opts().as;
      if (typeof student === "string") process.env.MACVLAB_STATE_DIR = join(classRoot(), student);
    });

  program
    .command("run")
    .description(
      "run scenarios (default: every scenarios/*.yaml) on a fresh lab each; exit 0 all passed, 1 a check failed, 2 bad input",
    )
    .argument("[files...]", "scenario files or folders")
    .addOption(providerOption())
    .option("-g, --grep <pattern>", "only checks whose title matches")
    .option(
      "--break <control>",
      "apply the negative control with this id after setup, so its checks go red on purpose",
      nameArg(Id, "--break"),
    )
    .option(
      "--forbid-skips",
      "fail when a scenario would be skipped (CI: every scenario must execute)",
      process.env.MACVLAB_FORBID_SKIPS === "1",
    )
    .option("--results <dir>", "Allure results directory", DEFAULT_RESULTS_DIR)
    .addOption(waitOption())
    .addOption(jobsOption())
    .option(
      "--fresh-lab",
      "a fresh lab for every scenario, instead of reusing one the scenario before left as it came up (proven by its cleanup check)",
    )
    .option(
      "--shard <i/n>",
      "only part i of n: every scenario is in exactly one part, the same on every machine, balanced by --timings",
      parseShard,
    )
    .option("--timings <file>", "scenario durations to balance shards by (default: the history's, from `report`)")
    .option("--list", "print the scenarios the run (or --shard) would run, and run nothing")
    .option(
      "--retries <n>",
      "judge a failed check again up to n times; one that passes then is reported flaky",
      parseRetries,
      0,
    )
    .option(
      "--known-issues <file>",
      "known failures (check, reason, link): reported as known, not failing the run (default: known-issues.yaml)",
    )
    .action(
      async (
        files: string[],
        opts: {
          provider: string;
          grep?: string;
          break?: string;
          forbidSkips: boolean;
          results: string;
          wait?: boolean;
          jobs?: number;
          freshLab?: boolean;
          shard?: Shard;
          timings?: string;
          list?: boolean;
          retries: number;
          knownIssues?: string;
        },
      ) => {
        if (opts.list) {
          const listed = listScenarios({ files, shard: opts.shard, timingsFile: opts.timings });
          process.stdout.write(listedText(listed, opts.shard));
          return;
        }
        if (process.stderr.isTTY || process.env.MACVLAB_PROGRESS === "1")
          setProgressSink((line) => process.stderr.write(`\x1b[2m${line}\x1b[0m\n`));
        const summary = await runScenarios({
          files,
          provider: opts.provider,
          grep: opts.grep,
          breakControl: opts.break,
          forbidSkips: opts.forbidSkips,
          resultsDir: opts.results,
          reporting: allureReporting,
          wait: opts.wait,
          jobs: opts.jobs,
          freshLab: opts.freshLab,
          shard: opts.shard,
          timingsFile: opts.timings,
          retries: opts.retries,
          knownIssuesFile: opts.knownIssues,
        });
        process.stdout.write(
          claimsText(
            summary.claims,
            summary.plans.map((p) => p.scenario.id),
          ),
        );
        const skipped = summary.plans.filter((p) => p.skipReason);
        for (const plan of skipped) process.stdout.write(`skipped ${plan.scenario.id}: ${plan.skipReason}\n`);
        process.stdout.write(runTally(summary, opts.results));
        process.exitCode = unexplainedFailures(summary) > 0 ? 1 : 0;
      },
    );

  const addUpDown = (parent: Command) => {
    parent
      .command("up")
      .description("bring a lab up and leave it running, without any scenario's setup (a trainer's lab for a student)")
      .argument("<lab>", "lab id (labs/<id>.yaml) or file", nameOrFileArg(LabName, "up: lab argument"))
      .addOption(providerOption())
      .option(
        "--for <scenario>",
        "the scenario the lab is for (id or file): on auto, a provider that can run it (a kernel with 8021q for a VLAN exercise)",
        nameOrFileArg(Id, "--for"),
      )
      .option(
        "--solve <scenario>",
        "also run that scenario's setup (a worked solution): its id or file (implies --for)",
        nameOrFileArg(Id, "--solve"),
      )
      .option(
        "--mistake <control>",
        "with --solve: then apply that negative control (a deliberate mistake)",
        nameArg(Id, "--mistake"),
      )
      .option(
        "--to-stage <n>",
        "with --solve: only the setup of stages 1..n (a student who is stuck continues from stage n+1)",
        stageArg("--to-stage"),
      )
      .addOption(asOption())
      .option(
        "--no-isolation",
        "with --as: make the lab on a provider that does not isolate the student from this host (netns, uml, containers: a node's root reaches it)",
      )
      .addOption(waitOption())
      .action(
        async (
          lab: string,
          opts: {
            provider: string;
            for?: string;
            solve?: string;
            mistake?: string;
            toStage?: number;
            wait?: boolean;
            as?: string;
            isolation: boolean;
          },
        ) => {
          if (!opts.isolation && !opts.as) throw new InputError("--no-isolation goes with --as <student>");
          if (opts.mistake && !opts.solve) throw new InputError("--mistake needs --solve <scenario>");
          if (opts.toStage !== undefined && !opts.solve) throw new InputError("--to-stage needs --solve <scenario>");
          if (opts.toStage !== undefined && opts.mistake)
            throw new InputError("--to-stage and --mistake do not go together: a mistake is made on the whole setup");
          const solve = opts.solve
            ? {
                scenario: opts.solve,
                mistake: opts.mistake,
                ...(opts.toStage === undefined ? {} : { toStage: opts.toStage }),
              }
            : undefined;
          const forStudent = opts.as ? { student: opts.as, acceptNoIsolation: !opts.isolation } : undefined;
          const options = { solve, forScenario: opts.for, lock: { wait: opts.wait }, forStudent };
          process.stdout.write(`${await labUp(lab, opts.provider, options)}\n`);
        },
      );
    parent
      .command("down")
      .description(
        "tear labs down (default: every lab with state in this state dir, except those another process is using); safe to repeat",
      )
      .argument("[labs...]", "lab ids", namesArg(LabName, "down: lab argument"))
      .addOption(asOption())
      .addOption(waitOption())
      .action(
        async (labs: string[], opts: { wait?: boolean }) =>
          void process.stdout.write(`${(await labDown(labs, { wait: opts.wait })).join("\n")}\n`),
      );
  };
  addUpDown(program);
  const lab = program.command("lab").description("labs for training: up, list, down");
  addUpDown(lab);
  lab
    .command("list")
    .description(
      "the labs up in this state dir: provider, how long up, who brought it up, who uses it now (a class's labs too)",
    )
    .addOption(asOption())
    .action(async () => {
      const running = await listRunning();
      process.stdout.write(`${running.length ? running.join("\n") : "no lab is up"}\n`);
    });

  program
    .command("ssh")
    .description("an interactive shell on a node of a lab that is up")
    .argument("<node>", "node name, e.g. node2", nameArg(NodeName, "ssh: node argument"))
    .requiredOption("-l, --lab <lab>", "the lab the node belongs to", nameOrFileArg(LabName, "--lab"))
    .addOption(providerOption())
    .addOption(asOption())
    .action(async (node: string, opts: { lab: string; provider: string }) => {
      process.exitCode = await sshInto(node, opts.lab, opts.provider);
    });

  program
    .command("rubric")
    .description(
      "validate the scenarios' rubrics on fresh labs: checks fail before the setup, pass after it, and each mistake costs exactly its declared checks",
    )
    .argument("[files...]", "scenario files or folders")
    .addOption(providerOption())
    .option("--forbid-skips", "fail when a scenario would be skipped", process.env.MACVLAB_FORBID_SKIPS === "1")
    .option("--results <dir>", "Allure results directory", RUBRIC_RESULTS_DIR)
    .addOption(waitOption())
    .addOption(jobsOption())
    .action(
      async (
        files: string[],
        opts: { provider: string; forbidSkips: boolean; results: string; wait?: boolean; jobs?: number },
      ) => {
        const summary = await runScenarios({
          files,
          provider: opts.provider,
          forbidSkips: opts.forbidSkips,
          resultsDir: opts.results,
          mode: "rubric",
          reporting: allureReporting,
          wait: opts.wait,
          jobs: opts.jobs,
        });
        process.stdout.write(
          `macvlab: ${summary.passes} passed, ${summary.failures} failed, ${summary.skipped} skipped\n`,
        );
        process.exitCode = summary.failures > 0 ? 1 : 0;
      },
    );

  // Started by `run --jobs`, which hands it its scenarios over an IPC channel; not for people.
  program
    .command("job", { hidden: true })
    .description("one job of a parallel run")
    .action(async () => {
      if (process.env.MACVLAB_PROGRESS === "1")
        setProgressSink((line) => process.stderr.write(`\x1b[2m${line}\x1b[0m\n`));
      const summary = await serveJob(allureReporting);
      process.exitCode = summary.failures > 0 ? 1 : 0;
    });

  // Started detached by a provider's `up` for a lab that needs a process to live (uml); not for people.
  program
    .command(KEEP_COMMAND, { hidden: true })
    .description("holds a lab for later commands")
    .argument("<provider>", "the provider", providerArg)
    .argument("<lab>", "the lab", nameArg(LabName, "keep: lab"))
    .action(async (providerName: string, lab: string) => {
      const provider = providerNamed(providerName);
      if (!provider.keep) throw new InputError(`provider ${provider.name} keeps no lab in a process`);
      const code = await provider.keep(lab);
      // Connections to the lab and stdin would keep the event loop alive; the lab is stopped by now.
      process.exit(code);
    });

  program
    .command("task")
    .description("the task sheet of a scenario: goal, article section, what will be checked (not the commands)")
    .argument("<scenario>", "scenario id or file", nameOrFileArg(Id, "task: scenario argument"))
    .action(async (scenario: string) => {
      const found = findScenario(scenario);
      process.stdout.write(`${taskSheet(found.scenario, found.lab)}\n`);
    });

  program
    .command("grade")
    .description("grade labs a student set up by hand: checks only, read-only; exit 0 when the pass mark is met")
    .argument("[files...]", "scenario files (default: every scenario whose lab is up)")
    .addOption(providerOption())
    .option("--student <id>", "student or lab id for grade.json (default: $MACVLAB_STUDENT or user@host)")
    .option("--pass-mark <percent>", "percentage of points needed to pass", "100")
    .option(
      "--stage <n>",
      "grade only stages 1..n of scenarios that have stages (the pass mark applies to those)",
      stageArg("--stage"),
    )
    .option("--results <dir>", "Allure results directory", DEFAULT_RESULTS_DIR)
    .addOption(asOption())
    .addOption(waitOption())
    .action(
      async (
        files: string[],
        opts: {
          provider: string;
          student?: string;
          passMark: string;
          stage?: number;
          results: string;
          as?: string;
          wait?: boolean;
        },
      ) => {
        const passMark = Number(opts.passMark);
        if (!Number.isFinite(passMark) || passMark < 0 || passMark > 100)
          throw new InputError(`--pass-mark must be a percentage (0–100), got "${opts.passMark}"`);
        // A class's student: their grade files and results apart from everyone else's.
        const own = opts.as ? join(CLASS_REPORTS_DIR, opts.as) : undefined;
        const results = own && opts.results === DEFAULT_RESULTS_DIR ? join(own, "allure-results") : opts.results;
        const summary = await gradeScenarios({
          files,
          provider: opts.provider,
          student: opts.student ?? opts.as,
          passMarkPercent: passMark,
          resultsDir: results,
          reporting: allureReporting,
          wait: opts.wait,
          ...(opts.stage === undefined ? {} : { throughStage: opts.stage }),
        });
        const gradeFiles = own
          ? { json: join(own, "grade.json"), junit: join(own, "grade-junit.xml") }
          : { json: GRADE_JSON, junit: GRADE_JUNIT };
        publishGrade(summary, gradeFiles, (text) => process.stdout.write(text));
        process.stdout.write(`written: ${gradeFiles.json}, ${gradeFiles.junit}, Allure results in ${results}\n`);
        process.exitCode = summary.passed ? 0 : 1;
      },
    );

  program
    .command("class")
    .description(
      "a class's summary from every student's last grade (grade --as <student>): a line each, class.csv and class-junit.xml",
    )
    .action(() => {
      const { table, csv, junit, failed } = publishClass(CLASS_REPORTS_DIR);
      process.stdout.write(`${table}\nwritten: ${csv}, ${junit}\n`);
      process.exitCode = failed ? 1 : 0;
    });

  program
    .command("list")
    .description("labs, scenarios and running labs")
    .action(async () => void process.stdout.write(`${(await listAll()).join("\n")}\n`));

  program
    .command("doctor")
    .description("what each provider is missing (and how to install it) and what it can do")
    .action(async () => {
      const { lines, ready } = await doctor();
      process.stdout.write(`${lines.join("\n")}\n`);
      process.exitCode = ready ? 0 : 2;
    });

  program
    .command("graph")
    .description(
      "a picture of a lab (SVG, laid out by Graphviz): nodes, NICs with MACs, segments, trunks with the VLANs a scenario adds, and that scenario's pings",
    )
    .argument("[lab]", "lab id or file (default: the lab of --scenario)", nameOrFileArg(LabName, "graph: lab argument"))
    .option(
      "-s, --scenario <scenario>",
      "draw this scenario's VLANs and checks on its lab",
      nameOrFileArg(Id, "--scenario"),
    )
    .option(
      "-o, --output <file>",
      "the SVG file to write, or - for stdout (default: reports/topology/<lab>[-<scenario>].svg)",
    )
    .action(async (lab: string | undefined, opts: { scenario?: string; output?: string }) => {
      const { file, svg } = await labGraph({ lab, scenario: opts.scenario, output: opts.output });
      process.stdout.write(file ? `written: ${display(file)}\n` : svg);
    });

  program
    .command("validate")
    .description(
      "check lab and scenario files as `run` loads them, without a lab (default: every labs/*.yaml and scenarios/*.yaml); exit 0 valid, 2 with every problem at file:line:col",
    )
    .argument("[files...]", "lab or scenario files, or folders of them")
    .action((files: string[]) => {
      const { valid, refusal } = validateFiles(files);
      for (const file of valid) process.stdout.write(`ok ${display(file.file)}: ${file.summary}\n`);
      if (refusal) throw refusal;
    });

  program
    .command("new")
    .description("write a skeleton to start from")
    .command("scenario")
    .description(
      "a scenario skeleton for a lab that validates, runs and passes its rubric as written; replace its TODOs with an article's commands and claims",
    )
    .argument("<id>", "the scenario's id (its file is <dir>/<id>.yaml)", nameArg(Id, "new scenario: id argument"))
    .requiredOption(
      "-l, --lab <lab>",
      "the lab it runs on (labs/<lab>.yaml beside the scenarios folder)",
      nameArg(LabName, "--lab"),
    )
    .option("--dir <dir>", "the scenarios folder to write into", SCENARIOS_DIR)
    .action((id: string, opts: { lab: string; dir: string }) => {
      const file = newScenario(id, opts.lab, opts.dir);
      process.stdout.write(
        `written: ${display(file)} (\`macvlab validate\` it as you edit; \`macvlab run\` it on a lab)\n`,
      );
    });

  program
    .command("report")
    .description(
      "render Allure results (one run's, or every shard's) as one HTML report (Allure 3, no Java), with history",
    )
    .option(
      "--results <dir>",
      "Allure results directory; repeat it to merge shards into one report",
      (dir: string, dirs: string[] | undefined) => [...(dirs ?? []), dir],
    )
    .option("-o, --output <dir>", "report directory", REPORT_DIR)
    .option("--history <file>", "history carried from report to report (trends, new/fixed/regressed)", HISTORY_FILE)
    .option("--no-history", "no history: this report alone")
    .option("--history-limit <n>", "earlier reports the history keeps", parseHistoryLimit, 30)
    .option("--junit <file>", "also write JUnit XML: a flaky pass with <flakyFailure>, a known issue as <skipped>")
    .option(
      "--summary <file>",
      "append a Markdown summary (failing, flaky, known) to this file, e.g. $GITHUB_STEP_SUMMARY",
    )
    .option("--gate", "exit 1 when a check failed that no known issue explains (the quality gate)")
    .action(
      async (opts: {
        results?: string[];
        output: string;
        history: string | false;
        historyLimit: number;
        junit?: string;
        summary?: string;
        gate?: boolean;
      }) => {
        const { index, failing } = await publishReport({
          resultsDirs: opts.results ?? [DEFAULT_RESULTS_DIR],
          reportDir: opts.output,
          historyFile: opts.history || undefined,
          historyLimit: opts.historyLimit,
          junit: opts.junit,
          summary: opts.summary,
        });
        process.stdout.write(`report: ${index}\n`);
        if (!opts.gate) return;
        for (const v of failing) process.stdout.write(`gate: ${v.testCaseId} failed: ${v.message}\n`);
        process.stdout.write(
          `gate: ${failing.length ? `failed (${failing.length} check(s) failed that no known issue explains)` : "passed"}\n`,
        );
        process.exitCode = failing.length ? 1 : 0;
      },
    );

  program
    .command("k8s")
    .description(
      "the nightly run as Kubernetes manifests (a results claim, an Indexed Job of shards, the merge Job), validated against the API schema",
    )
    .option("--shards <n>", "how many shards (Job indexes)", parseShardCount, NIGHTLY_DEFAULTS.shards)
    .option(
      "--image <ref>",
      "the runner image (deploy/runner-image/build.sh), as the cluster pulls it",
      NIGHTLY_DEFAULTS.image,
    )
    .option("--claim <name>", "the ReadWriteMany claim holding results and history", NIGHTLY_DEFAULTS.claim)
    .option("-o, --output <dir>", "write one file per object into this folder instead of printing them")
    .action((opts: { shards: number; image: string; claim: string; output?: string }) => {
      const cluster = { shards: opts.shards, image: opts.image, claim: opts.claim };
      if (!opts.output) return void process.stdout.write(Object.values(renderManifests(cluster)).join("---\n"));
      const written = writeManifests(opts.output, cluster);
      process.stdout.write(`written: ${written.map(display).join(", ")}\n`);
    });

  program
    .command("flakes")
    .description("per check over the report history: runs, failures, and how often it passed only when judged again")
    .option("--history <file>", "the history `report` keeps", HISTORY_FILE)
    .action(
      (opts: { history: string }) => void process.stdout.write(flakesText(flakeRows(opts.history), opts.history)),
    );

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[]);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`macvlab: ${error instanceof MacvlabError ? error.message : (error as Error).stack}\n`);
    return error instanceof InputError ? 2 : exitCodeFor(error);
  }
}

process.exitCode = await main(process.argv);
