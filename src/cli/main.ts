import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { Command, CommanderError } from "commander";
import { describeError, isSynthforgeError, SynthforgeError } from "../core/errors.js";
import type { PipelineEvent, RunSummary } from "../core/types.js";
import { SYNTHFORGE_VERSION } from "../core/version.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import type { ClarifyFn, ClarifyQuestion } from "../pipeline/plan-stage.js";
import type { Store } from "../storage/store.js";
import type { ExportFilterFlags } from "./export-options.js";
import { type CliIO, formatSummary, progressPrinter } from "./progress.js";
import type { RunFlags } from "./run-options.js";
import type { CommonFlags } from "./settings.js";

// Start-up (issue 15): only commander and these small modules load with the CLI. Each
// command loads what it needs when it runs (`await import()`), and only the command named
// on the command line is registered for real (see COMMANDS), so `synthforge --version`,
// `--help` or `runs` do not evaluate the pipeline, the models or the sources.

export { tuneHeap } from "./heap.js";

type GenerateFlags = RunFlags & {
  count?: string;
  type?: string;
  topic?: string;
  yes?: boolean;
  json?: boolean;
  force?: boolean;
};

function defaultIO(): CliIO {
  // `synthforge export --list-formats | head`: a closed pipe ends the output, not the process with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    tty: Boolean(process.stderr.isTTY),
  };
}

/** Prompts for missing fields on a terminal; with `--yes`, takes and prints the defaults. */
function clarifier(flags: GenerateFlags, io: CliIO): ClarifyFn | undefined {
  if (flags.yes) {
    return async (questions: ClarifyQuestion[]) => {
      for (const q of questions)
        io.err(`--yes: ${q.field === "trainingType" ? "training type" : q.field} = ${q.default}`);
      return {};
    };
  }
  if (!process.stdin.isTTY) return undefined;
  return async (questions) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answers: Partial<Record<ClarifyQuestion["field"], string>> = {};
    try {
      for (const q of questions) answers[q.field] = await rl.question(`${q.question} [${q.default}] `);
    } finally {
      rl.close();
    }
    return answers;
  };
}

/** Opens (and migrates) the database; a reading command's must exist. Closed again on failure. */
async function openDb(target: string, opts: { mustExist?: boolean } = {}): Promise<Store> {
  const [{ openStore }, { mustExist }] = await Promise.all([
    import("../storage/typeorm-store.js"),
    import("./db-target.js"),
  ]);
  const store = openStore(target);
  if (opts.mustExist) mustExist(store);
  try {
    await store.init();
    return store;
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

async function withStore<T>(
  target: string,
  opts: { mustExist?: boolean },
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  const store = await openDb(target, opts);
  try {
    return await fn(store);
  } finally {
    await store.close().catch(() => undefined);
  }
}

/**
 * The pipeline a command runs: settings from flags, config and environment. The pipeline
 * is made (checking the type options and the rest) before the database is opened, and
 * the database opened (and migrated) before anything is printed: bad input is one error
 * line and creates no database file.
 */
async function openPipeline(
  flags: RunFlags,
  io: CliIO,
  opts: { mustExist?: boolean } = {},
): Promise<Pipeline> {
  const [{ openStore }, { mustExist, runSettings }, { createPipeline }, { reportSkippedFiles }] =
    await Promise.all([
      import("../storage/typeorm-store.js"),
      import("./run-options.js"),
      import("../pipeline/pipeline.js"),
      import("./settings.js"),
    ]);
  const { target, notice, options } = runSettings(flags);
  const store = openStore(target);
  if (opts.mustExist) mustExist(store);
  let pipeline: Pipeline;
  try {
    pipeline = createPipeline({ storage: store, ...options });
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  try {
    await store.init();
    io.err(notice);
    if (options.sources) await reportSkippedFiles(options.sources, io, options.licencePolicy);
    return pipeline;
  } catch (e) {
    await pipeline.close().catch(() => undefined);
    throw e;
  }
}

async function generate(request: string | undefined, flags: GenerateFlags, io: CliIO): Promise<number> {
  const [
    { parseCount, parseRequest, parseTrainingType },
    { getTrainingType },
    { chooseProvider, readConfig },
  ] = await Promise.all([
    import("../core/request.js"),
    import("../training-types/index.js"),
    import("./settings.js"),
  ]);
  // Validate everything we can before the database is opened, so bad input never touches it.
  const text = request ?? "";
  const parsed = parseRequest(text, { force: flags.force ?? false });
  const spec = {
    request: text,
    ...(flags.count !== undefined
      ? { count: parseCount(flags.count, { force: flags.force ?? false }) }
      : parsed.count
        ? { count: parsed.count }
        : {}),
    ...(flags.type !== undefined
      ? { trainingType: parseTrainingType(flags.type) }
      : parsed.trainingType
        ? { trainingType: parsed.trainingType }
        : {}),
    ...(flags.topic ? { topic: flags.topic } : parsed.topic ? { topic: parsed.topic } : {}),
  };
  if (spec.trainingType) getTrainingType(spec.trainingType);
  const clarify = clarifier(flags, io);
  const missing = (["count", "trainingType", "topic"] as const).filter((f) => spec[f] === undefined);
  // With a model, the intake model reads the request first: only offline does the parser have the last word here.
  if (missing.length && !clarify && chooseProvider(flags, readConfig(flags)).provider === "offline") {
    const { SPEC_DEFAULTS } = await import("../pipeline/plan-stage.js");
    throw new SynthforgeError(
      "CLARIFICATION_NEEDED",
      `The request does not say the ${missing.map((f) => (f === "trainingType" ? "training type" : f)).join(", ")}, and there is no terminal to ask. Say it in the request, pass --count/--type/--topic, or pass --yes to take the defaults (${missing.map((f) => `${f}=${SPEC_DEFAULTS[f]}`).join(", ")}).`,
    );
  }
  const pipeline = await openPipeline(flags, io);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.err("Stopping after the candidates in flight (Ctrl-C again to quit now; the run can be resumed).");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    let targetCount = spec.count ?? 0;
    // Only what flags set is given: the request itself goes through the intake (the parser checks it).
    const given = {
      request: text,
      ...(flags.count !== undefined ? { count: spec.count } : {}),
      ...(flags.type !== undefined ? { trainingType: spec.trainingType } : {}),
      ...(flags.topic ? { topic: flags.topic } : {}),
    };
    const run = pipeline.run(given, {
      ...(clarify ? { clarify } : {}),
      force: flags.force ?? false,
      signal: controller.signal,
    });
    const printer = progressPrinter(io, () => targetCount);
    run.on((e: PipelineEvent) => {
      if (e.type === "plan") targetCount = e.plan.count;
      printer(e);
    });
    const summary = await run.done;
    await printSummary(summary, io, flags.json ?? false);
    return summary.status === "completed" ? 0 : 3;
  } finally {
    process.off("SIGINT", onSigint);
    await pipeline.close().catch(() => undefined);
  }
}

async function printSummary(summary: RunSummary, io: CliIO, json: boolean): Promise<void> {
  const [{ getTrainingType }, { DEFAULT_DB }] = await Promise.all([
    import("../training-types/index.js"),
    import("./db-target.js"),
  ]);
  const format = Object.keys(getTrainingType(summary.trainingType).exporters)[0];
  const dbFlag = resolve(DEFAULT_DB) === summary.storage ? "" : ` --db ${summary.storage}`;
  const hint =
    format && summary.counts.approved > 0
      ? `synthforge export --run ${summary.runId} --format ${format} --out train.jsonl${dbFlag}`
      : null;
  for (const l of formatSummary(summary, { exportHint: hint })) io.out(l);
  if (json) io.out(JSON.stringify(summary));
}

async function resume(
  runRef: string,
  flags: RunFlags & { json?: boolean; override?: boolean },
  explicit: ReadonlySet<string>,
  io: CliIO,
): Promise<number> {
  const [{ openStoredRun, overrideLines }, { createPipeline }, { reportSkippedFiles }, { buildSummary }] =
    await Promise.all([
      import("./run-options.js"),
      import("../pipeline/pipeline.js"),
      import("./settings.js"),
      import("../pipeline/run-loop.js"),
    ]);
  const { store, run: stored, resume: r } = await openStoredRun(flags, explicit, runRef);
  let pipeline: Pipeline;
  try {
    pipeline = createPipeline({ storage: store, ...r.options });
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  try {
    io.err(r.notice);
    for (const l of overrideLines(r.changes)) io.err(l);
    if (r.options.sources) await reportSkippedFiles(r.options.sources, io, r.options.licencePolicy);
    if (stored.status === "completed") {
      // A finished run stays as it is (its finish time included).
      const summary = await buildSummary(store, stored.id, { durationMs: 0 });
      io.out(
        `run ${stored.id} is already completed: ${summary.counts.approved}/${summary.counts.target} approved; nothing to do.`,
      );
      if (flags.json) io.out(JSON.stringify(summary));
      return 0;
    }
    const run = pipeline.resume(stored.id);
    const printer = progressPrinter(io, () => stored.targetCount);
    run.on((e) => printer(e));
    const summary = await run.done;
    await printSummary(summary, io, flags.json ?? false);
    return summary.status === "completed" ? 0 : 3;
  } finally {
    await pipeline.close().catch(() => undefined);
  }
}

interface ExportFlags extends CommonFlags, ExportFilterFlags {
  run?: string;
  format?: string;
  out?: string;
  hf?: string;
  jsonl?: boolean;
  shardRows?: string;
  listFormats?: boolean;
  json?: boolean;
  force?: boolean;
}

async function exportCmd(flags: ExportFlags, io: CliIO): Promise<number> {
  if (flags.listFormats) {
    const { formatDescription, formatsByType, listExportFormats } = await import(
      "../training-types/index.js"
    );
    const byType = formatsByType();
    if (flags.json) {
      const formats = Object.fromEntries(listExportFormats().map((f) => [f, formatDescription(f)]));
      io.out(JSON.stringify({ formats, byType }));
      return 0;
    }
    io.out("Training type → export formats (the first is the primary one):");
    for (const [type, formats] of Object.entries(byType)) io.out(`  ${type.padEnd(5)} ${formats.join(", ")}`);
    io.out("");
    io.out("Formats:");
    for (const f of listExportFormats()) io.out(`  ${f.padEnd(26)} ${formatDescription(f)}`);
    io.out("");
    io.out(
      "Files: JSON Lines when --out ends in .jsonl, Parquet when it ends in .parquet, - for JSON Lines on standard output; --hf <dir> writes a Hugging Face dataset folder.",
    );
    return 0;
  }
  if (flags.hf && flags.out)
    throw new SynthforgeError("INVALID_REQUEST", "export takes either --out <file> or --hf <dir>, not both.");
  if (!flags.hf) {
    const missing = [!flags.format && "--format", !flags.out && "--out"].filter(Boolean);
    if (missing.length)
      throw new SynthforgeError(
        "INVALID_REQUEST",
        `export needs ${missing.join(" and ")}, or --hf <dir> (see --list-formats).`,
      );
  }
  if (flags.jsonl && !flags.hf)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "--jsonl adds JSON Lines copies to a --hf dataset folder; for a single JSONL file use --out train.jsonl.",
    );
  const shardRows = flags.shardRows === undefined ? undefined : Number(flags.shardRows);
  if (shardRows !== undefined && !(Number.isInteger(shardRows) && shardRows > 0)) {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--shard-rows must be a positive whole number, got "${flags.shardRows}".`,
    );
  }
  const toStdout = flags.out === "-";
  if (toStdout && flags.json)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "--json prints a result line on standard output, which --out - fills with the rows; use one or the other.",
    );
  const [{ exportSelectionFromFlags, printSelection }, { loadConfig }, { dbTarget }] = await Promise.all([
    import("./export-options.js"),
    import("../core/config.js"),
    import("./db-target.js"),
  ]);
  // Filters, splits and the output are checked before the database is opened: bad values touch nothing.
  const selection = exportSelectionFromFlags(flags);
  const { checkExportTargets } = await import("../export/export.js");
  if (flags.out)
    checkExportTargets(flags.out, selection.split, {
      overwrite: flags.force ?? false,
      format: flags.format!,
    });
  if (flags.hf) {
    const { checkHfDir, hfFilesReplaced } = await import("../export/hf-dataset.js");
    checkHfDir(flags.hf);
    const replaced = flags.force ? [] : hfFilesReplaced(flags.hf);
    if (replaced.length)
      throw new SynthforgeError(
        "OUTPUT_PATH_INVALID",
        `--hf ${flags.hf} already holds a dataset (${replaced.slice(0, 3).join(", ")}${replaced.length > 3 ? ", ..." : ""}); pass --force to replace those files (other files in the folder are kept).`,
      );
  }
  const { config } = loadConfig(flags.config);
  return withStore(dbTarget(flags, config), { mustExist: true }, async (store) => {
    if (flags.hf) {
      const { exportHfDataset } = await import("../export/hf-dataset.js");
      const res = await exportHfDataset(store, flags.run ?? "latest", {
        dir: flags.hf,
        ...(flags.format ? { format: flags.format } : {}),
        ...(flags.jsonl ? { jsonl: true } : {}),
        ...(shardRows ? { shardRows } : {}),
        ...selection,
      });
      io.out(
        `wrote ${res.rows} ${res.trainingType} example(s) as ${res.format} to the Hugging Face dataset folder ${res.dir} (${res.files.length} files, licence ${res.licence.id})`,
      );
      printSelection({ ...res, ...(selection.split ? {} : { splits: [] }) }, io);
      for (const w of res.warnings) io.err(`warning: ${w}`);
      if (flags.json) io.out(JSON.stringify(res));
      return 0;
    }
    const { exportRun } = await import("../export/export.js");
    const res = await exportRun(store, flags.run ?? "latest", {
      format: flags.format!,
      out: flags.out!,
      overwrite: flags.force ?? false,
      ...selection,
    });
    if (toStdout) {
      // Standard output holds only the rows.
      io.err(`wrote ${res.rows} ${res.trainingType} example(s) as ${res.format} (jsonl) to standard output`);
      io.err(
        "note: the licence ledger (<name>.ATTRIBUTION.md, <name>.sources.json) is written only beside a file: export with --out <name>.jsonl to get it.",
      );
    } else {
      io.out(
        `wrote ${res.rows} ${res.trainingType} example(s) as ${res.format} (${res.fileType}) ${res.splits ? `in ${res.splits.length} split files:` : `to ${res.path}`}`,
      );
      printSelection(res, io);
    }
    for (const w of res.warnings) io.err(`warning: ${w}`);
    if (flags.json) io.out(JSON.stringify(res));
    return 0;
  });
}

async function runsCmd(flags: CommonFlags & { json?: boolean }, io: CliIO): Promise<number> {
  const [{ loadConfig }, { dbTarget }] = await Promise.all([
    import("../core/config.js"),
    import("./db-target.js"),
  ]);
  const { config } = loadConfig(flags.config);
  return withStore(dbTarget(flags, config), { mustExist: true }, async (store) => {
    const runs = await store.listRuns(50);
    if (flags.json) {
      io.out(
        JSON.stringify(
          runs.map((r) => ({
            id: r.id,
            status: r.status,
            trainingType: r.trainingType,
            topic: r.topic,
            target: r.targetCount,
            createdAt: r.createdAt,
          })),
        ),
      );
      return 0;
    }
    if (runs.length === 0) io.out(`no runs in ${store.location}`);
    for (const r of runs) {
      const c = await store.countQuestions(r.id);
      io.out(
        `${r.id}  ${r.status.padEnd(9)} ${r.trainingType.padEnd(4)} ${String(c.approved).padStart(6)}/${r.targetCount}  ${r.createdAt.toISOString()}  ${r.topic}`,
      );
    }
    return 0;
  });
}

/**
 * The IO the commands write through: a notice set before a command runs is printed on
 * stderr before the command's first line of output, so a command that fails on bad input
 * still prints only its one error line.
 */
function withNotice(io: CliIO): { io: CliIO; notice: (line: string | null) => void } {
  let pending: string | null = null;
  const flush = () => {
    if (pending === null) return;
    const line = pending;
    pending = null;
    io.err(line);
  };
  return {
    io: {
      tty: io.tty,
      out: (l) => {
        flush();
        io.out(l);
      },
      err: (l) => {
        flush();
        io.err(l);
      },
    },
    notice: (line) => {
      pending = line;
    },
  };
}

/**
 * "using config ./synthforge.config.yaml" for a command that reads a config file (it has
 * `--config`) when there is one to read: `--config <file>`, else synthforge.config.yaml in
 * the working folder. Null when there is none.
 */
export async function configNotice(cmd: Command, cwd = process.cwd()): Promise<string | null> {
  if (!cmd.options.some((o) => o.long === "--config")) return null;
  const opts = cmd.opts<{ config?: string; listFormats?: boolean }>();
  if (opts.listFormats) return null; // export --list-formats reads no config
  const [{ CONFIG_FILE_NAMES }, { displayPath }] = await Promise.all([
    import("../core/config.js"),
    import("./display-path.js"),
  ]);
  const file = opts.config
    ? resolve(cwd, opts.config)
    : CONFIG_FILE_NAMES.map((n) => resolve(cwd, n)).find((p) => existsSync(p));
  return file && existsSync(file) ? `using config ${displayPath(file, cwd)}` : null;
}

type SetCode = (code: number) => void;
/** Registers one or more commands on the program. */
type Register = (program: Command, io: CliIO, setCode: SetCode) => void;

const dbOpt = "--db <path|url>";
const dbHelp = "SQLite file or postgres:// URL (default ./synthforge.db, or SYNTHFORGE_DB)";

/**
 * Every command, in the order of `--help`: the names a module registers, the line `--help`
 * shows for each (arguments, whether it has options, description), and how to load its
 * real definition. Only the command named on the command line is loaded; the others are
 * registered from these lines, so the program's help is the same either way (a test
 * compares it with every command loaded).
 */
interface CommandEntry {
  stubs: Array<{ name: string; args?: string[]; options?: boolean; description: string }>;
  load: () => Promise<Register>;
}

const COMMANDS: CommandEntry[] = [
  {
    stubs: [
      {
        name: "generate",
        args: ["[request]"],
        options: true,
        description:
          'Generate a dataset, e.g. synthforge generate "Generate 10 SFT examples about organic chemistry" --yes',
      },
    ],
    load: async () => {
      const { addRunOptions } = await import("./run-options.js");
      // Built-in and registered (plugin) types.
      const { trainingTypeNames } = await import("../core/types.js");
      return (program, io, setCode) =>
        addRunOptions(
          program
            .command("generate")
            .description(
              'Generate a dataset, e.g. synthforge generate "Generate 10 SFT examples about organic chemistry" --yes',
            )
            .argument("[request]", "what to generate, in plain words")
            .option("-n, --count <n>", "number of approved examples")
            .option("-t, --type <type>", `training type (${trainingTypeNames().join(", ")})`)
            .option("--topic <topic>", "topic of the data")
            .option("-y, --yes", "take defaults for anything the request leaves out, without asking")
            .option("--force", "allow counts over 1,000,000"),
        )
          .option("--json", "print a machine-readable summary as the last line")
          .action(async (request: string | undefined, flags: GenerateFlags) =>
            setCode(await generate(request, flags, io)),
          );
    },
  },
  {
    stubs: [
      {
        name: "resume",
        args: ["<run>"],
        options: true,
        description: "Continue a stopped or interrupted run",
      },
    ],
    load: async () => {
      const { addRunOptions, explicitFlags } = await import("./run-options.js");
      return (program, io, setCode) =>
        addRunOptions(
          program
            .command("resume")
            .description("Continue a stopped or interrupted run")
            .argument("<run>", "run id, or latest"),
        )
          .option("--json", "print a machine-readable summary as the last line")
          .option("--override", "let the flags given change the settings the run was made with")
          .action(async (run: string, flags, cmd: Command) =>
            setCode(await resume(run, flags, explicitFlags(cmd), io)),
          );
    },
  },
  {
    stubs: [
      { name: "export", options: true, description: "Write a run's approved examples in a trainer format" },
    ],
    load: async () => {
      const { addExportFilterOptions } = await import("./export-options.js");
      return (program, io, setCode) =>
        addExportFilterOptions(program.command("export"))
          .description("Write a run's approved examples in a trainer format")
          .option("--run <id>", "run id, or latest", "latest")
          .option("-f, --format <format>", "export format (see --list-formats)")
          .option(
            "-o, --out <file>",
            "output file: name.jsonl (JSON Lines), name.parquet, or - for standard output",
          )
          .option("--hf <dir>", "write a Hugging Face dataset folder (data/train-*.parquet + README.md card)")
          .option("--jsonl", "with --hf: also write JSON Lines copies of the shards")
          .option("--shard-rows <n>", "with --hf: rows per shard (default 250000)")
          .option("--list-formats", "show which formats each training type exports to")
          .option(
            "--force",
            "overwrite an existing --out file (or replace the dataset files in a --hf folder)",
          )
          .option(dbOpt, dbHelp)
          .option("-c, --config <file>", "config file")
          .option("--json", "print a machine-readable result as the last line")
          .action(async (flags) => setCode(await exportCmd(flags, io)));
    },
  },
  {
    stubs: [{ name: "runs", options: true, description: "List runs in the database" }],
    load: async () => (program, io, setCode) =>
      program
        .command("runs")
        .description("List runs in the database")
        .option(dbOpt, dbHelp)
        .option("-c, --config <file>", "config file")
        .option("--json", "print JSON")
        .action(async (flags) => setCode(await runsCmd(flags, io))),
  },
  {
    stubs: [
      {
        name: "sources",
        description: "List research sources, or search one and print its normalised documents",
      },
    ],
    load: async () => (await import("./sources-command.js")).registerSourcesCommand,
  },
  {
    stubs: [
      {
        name: "retry-failed",
        args: ["<run>"],
        options: true,
        description: "Re-queue a run's failed and rejected candidates as new attempts, then resume it",
      },
    ],
    load: async () => (await import("./retry-command.js")).registerRetryFailed,
  },
  {
    stubs: [
      {
        name: "worker",
        options: true,
        description: "Work on queued runs together with other workers (PostgreSQL)",
      },
      {
        name: "submit",
        args: ["<request>"],
        options: true,
        description:
          'Store a run and queue it for workers, e.g. synthforge submit "Generate 1000 SFT examples about enzymes" --db postgres://…',
      },
    ],
    load: async () => (await import("./worker-command.js")).registerWorker,
  },
  {
    stubs: [
      {
        name: "review",
        args: ["<file>"],
        options: true,
        description:
          "Review an existing dataset (JSONL) with the review stack; writes quality_score and verdicts beside each row",
      },
    ],
    load: async () => (await import("./review-command.js")).registerReviewCommand,
  },
  {
    stubs: [
      {
        name: "plan",
        args: ["[request]"],
        options: true,
        description:
          'Show what a run would do, without generating anything: synthforge plan "Generate 50 DPO examples about acids and bases"',
      },
    ],
    load: async () => (await import("./plan-command.js")).registerPlanCommand,
  },
  {
    stubs: [
      {
        name: "push",
        args: ["[dir]"],
        options: true,
        description:
          "Upload a Hugging Face dataset folder (Parquet shards, card, attribution) to the Hub in one commit",
      },
    ],
    load: async () => (await import("./push-command.js")).registerPushCommand,
  },
  {
    stubs: [
      {
        name: "mcp",
        options: true,
        description:
          "Serve synthforge to MCP clients (agents, IDEs): tools plan, generate, run_status, list_runs, export, review_rows, search_sources, list_formats; stdio by default",
      },
    ],
    load: async () => (await import("./mcp-command.js")).registerMcpCommand,
  },
  {
    stubs: [
      {
        name: "studio",
        options: true,
        description: "Review and explore runs in the browser: a local web app over the database",
      },
    ],
    load: async () => (program, io, setCode) =>
      program
        .command("studio")
        .description("Review and explore runs in the browser: a local web app over the database")
        .option(dbOpt, dbHelp)
        .option("-c, --config <file>", "config file")
        .option("--port <n>", "port to listen on (0 picks a free one)", "4873")
        .option(
          "--host <address>",
          "address to listen on; anything but 127.0.0.1 exposes the studio",
          "127.0.0.1",
        )
        .option("--reviewer <name>", "name recorded with human review decisions (default: the OS user)")
        .action(async (flags) => {
          const { studioCmd } = await import("./studio-command.js");
          setCode(await studioCmd(flags, io));
        }),
  },
];

/** The command a command line runs (`help <command>` included), or null when it names none. */
export function commandOf(args: readonly string[]): string | null {
  const names = new Set(COMMANDS.flatMap((c) => c.stubs.map((s) => s.name)));
  const positional = args.filter((a) => !a.startsWith("-"));
  const first = positional[0] === "help" ? positional[1] : positional[0];
  return first !== undefined && names.has(first) ? first : null;
}

/**
 * Builds the commander program. Exposed for tests. `only`: the one command whose real
 * definition (options, action) is loaded; the others are registered from their `--help`
 * lines. `undefined` loads every command; `null` none.
 */
export async function buildProgram(rawIO: CliIO, setCode: SetCode, only?: string | null): Promise<Command> {
  const { io, notice } = withNotice(rawIO);
  const program = new Command("synthforge")
    .description("Synthetic post-training data for LLMs: plan, research, generate, review, store, export.")
    .version(SYNTHFORGE_VERSION)
    // Loaded before the program is built (see main); declared here for --help and parsing.
    .option(
      "--plugin <path|package>",
      "load a plugin (ES module registering training types, sources, formats, verifiers); repeatable",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => rawIO.out(s.trimEnd()),
      writeErr: (s) => rawIO.err(s.trimEnd()),
    })
    // Which config file a command reads, said once, like other tools do.
    .hook("preAction", async (_program, action) => notice(await configNotice(action)));
  const entries = COMMANDS.map((c) =>
    only === undefined || (only !== null && c.stubs.some((s) => s.name === only)) ? c.load() : null,
  );
  for (const [i, c] of COMMANDS.entries()) {
    const register = await entries[i];
    if (register) {
      register(program, io, setCode);
      continue;
    }
    for (const stub of c.stubs) {
      const cmd = program.command(stub.name).description(stub.description);
      for (const a of stub.args ?? []) cmd.argument(a);
      // Shown as "[options]" in the list of commands; never parsed (the real command is loaded to run).
      if (stub.options) cmd.option("--options");
    }
  }
  return program;
}

/**
 * Runs the CLI with `argv` (as `process.argv`) and returns the exit code: 0 success,
 * 1 error, 2 bad input, 3 a run that stopped before its target (resumable).
 */
export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  let code = 0;
  const args = argv.slice(2);
  // `synthforge --version` prints the version as commander would, before anything else loads.
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    io.out(SYNTHFORGE_VERSION);
    return 0;
  }
  try {
    // Plugins (--plugin, config `plugins:`) register types, sources and formats the commands then use.
    await (await import("./plugin-preload.js")).preloadPlugins(args);
  } catch (e) {
    if (!isSynthforgeError(e)) throw e;
    io.err(`error [${e.code}]: ${e.message}`);
    return 2;
  }
  const program = await buildProgram(
    io,
    (c) => {
      code = c;
    },
    commandOf(args),
  );
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isSynthforgeError(e)) {
      io.err(`error [${e.code}]: ${e.message}`);
      const userError = ![
        "MODEL_ERROR",
        "DB_UNREACHABLE",
        "SOURCE_FAILED",
        "HUB_UNREACHABLE",
        "HUB_REQUEST_FAILED",
      ].includes(e.code);
      return userError ? 2 : 1;
    }
    io.err(`error: ${describeError(e)}`);
    return 1;
  }
}
