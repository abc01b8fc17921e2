/**
 * Distributed workers on PostgreSQL: one process submits a run, worker processes (on this
 * machine or any other that reaches the database) share it. Exactly N examples are
 * approved however many workers join: candidates are leased to one worker at a time and
 * counted in the database. Runs offline without an API key (set GEMINI_API_KEY for Gemini).
 *
 *     # The whole demo: starts two workers, submits a run of 20, waits, stops the workers
 *     npx tsx examples/workers.ts postgres://user:password@localhost:5432/synthforge [count]
 *
 *     # Or the parts, in separate terminals (or machines):
 *     npx tsx examples/workers.ts worker postgres://…
 *     npx tsx examples/workers.ts submit postgres://… "Generate 100 SFT examples about organic chemistry"
 *
 * The CLI does the same with `synthforge worker --db postgres://…` and `synthforge submit`.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  createPipeline,
  defaultStages,
  geminiModels,
  type ItemStage,
  offlineModels,
  postgresStore,
  startWorker,
  submitRun,
} from "synthforge";

/** A pipeline on the shared database. Every process builds it the same way. */
function openPipeline(url: string, stages = defaultStages()) {
  return createPipeline({
    storage: postgresStore({ url }),
    models: process.env.GEMINI_API_KEY ? geminiModels() : offlineModels(),
    stages,
    // Model calls this process makes at once (default 8); it works on three times as many
    // candidates, so two workers share even the example's small run of 12.
    concurrency: 2,
  });
}

/** A worker: takes runs off the queue until SIGTERM / Ctrl-C. */
async function worker(url: string): Promise<void> {
  // A stage after review sees every candidate this worker reviewed: count its approvals.
  let approvedHere = 0;
  const tally: ItemStage = {
    name: "tally",
    scope: "item",
    async run(item) {
      if (item.question.status === "approved") approvedHere++;
    },
  };
  const pipeline = openPipeline(url, defaultStages().insertAfter("review", tally));
  const w = await startWorker({
    url,
    pipeline,
    pollingIntervalSeconds: 0.5,
    onRun: (s) => console.log(`worker ${w.id}: run ${s.runId} is ${s.status}`),
  });
  // Handlers first, then the line a supervisor waits for (a SIGTERM sent at once is then a clean stop).
  const stopping = new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  console.log(`worker ${w.id} ready on ${pipeline.store.location}`); // the URL with its password redacted
  await stopping;
  await w.stop(); // lets the candidates in flight finish; anything left goes to the other workers
  await pipeline.close();
  console.log(`worker ${w.id} stopped: ${approvedHere} approved by this worker`);
}

/** Submits a run for `slots` workers and follows it in the database until it ends. */
async function submit(url: string, request: string, slots = 2): Promise<boolean> {
  const pipeline = openPipeline(url);
  try {
    // Stores the run (status `planning`) without working on it; workers cannot ask back,
    // so a request that leaves out the count, type or topic is refused here.
    const run = await pipeline.create(request);
    await submitRun(run.id, { url, slots });
    console.log(
      `submitted run ${run.id}: ${run.targetCount} ${run.trainingType} examples about ${run.topic}`,
    );
    let last = "";
    for (;;) {
      const now = (await pipeline.store.getRun(run.id))!;
      const approved = (await pipeline.store.countExamples(run.id, run.trainingType)).approved;
      const line = `run ${run.id} ${now.status}: ${approved}/${run.targetCount} approved`;
      if (line !== last) console.log(line);
      last = line;
      if (now.status !== "planning" && now.status !== "running") {
        if (now.stopReason) console.log(`stopped: ${now.stopReason}`);
        return now.status === "completed";
      }
      await new Promise((r) => setTimeout(r, 500)); // the database is the source of truth: poll it
    }
  } finally {
    await pipeline.close();
  }
}

/** The demo: two worker processes of this script, one submitted run, then a clean stop. */
async function demo(url: string, count: number): Promise<boolean> {
  const self = fileURLToPath(import.meta.url);
  const workers = [1, 2].map((n) => {
    // The same Node and loader flags (tsx's) as this process.
    const child = spawn(process.execPath, [...process.execArgv, self, "worker", url], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const ready = new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`worker ${n} exited (${code}) before it was ready`)));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        console.log(`[worker ${n}] ${line}`);
        if (line.includes(" ready on ")) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    return { child, ready, exited };
  });
  try {
    await Promise.all(workers.map((w) => w.ready));
    return await submit(url, `Generate ${count} SFT examples about organic chemistry`, workers.length);
  } finally {
    for (const w of workers) w.child.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.exited));
  }
}

const [mode, ...args] = process.argv.slice(2);
const usage =
  "usage: examples/workers.ts <postgres-url> [count] | worker <postgres-url> | submit <postgres-url> <request>";
if (mode === "worker" && args[0]) {
  await worker(args[0]);
} else if (mode === "submit" && args[0] && args[1]) {
  process.exitCode = (await submit(args[0], args[1])) ? 0 : 1;
} else if (mode && /^postgres(ql)?:\/\//.test(mode)) {
  process.exitCode = (await demo(mode, Number(args[0] ?? 20))) ? 0 : 1;
} else {
  console.error(usage);
  process.exitCode = 2;
}
