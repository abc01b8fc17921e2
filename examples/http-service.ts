/**
 * synthforge inside an HTTP service (plain `node:http`, no framework). Three routes:
 *
 *     POST /runs                 {"request": "Generate 5 SFT examples about chemistry"}
 *                                → 202 {"runId": "run_…"}  (the run goes on in the background)
 *     GET  /runs/:id             → {"runId", "status", "target", "approved", "counts", …}
 *     GET  /runs/:id/export      → the approved examples as JSON Lines, streamed from the
 *                                  database (`?format=trl-sft-messages`; default: the
 *                                  training type's first format)
 *
 * Runs offline without an API key (set GEMINI_API_KEY to use Gemini):
 *
 *     npx tsx examples/http-service.ts [port] [database]      # port 0 picks a free one
 *     curl -s localhost:8080/runs -d '{"request":"Generate 5 SFT examples about chemistry"}'
 *     curl -s localhost:8080/runs/<runId>
 *     curl -s localhost:8080/runs/<runId>/export > train.jsonl
 *
 * Progress is read from the database, not from memory, so it is right for runs started
 * before a restart too. Everything a client sends is untrusted: the body is size-capped,
 * bad input gets a 4xx with synthforge's one-line message, and unexpected errors are
 * logged here and answered with a bare 500.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  checkFormat,
  createPipeline,
  exportRows,
  geminiModels,
  getTrainingType,
  isSynthforgeError,
  offlineModels,
  type PipelineRun,
  redactSecrets,
  sqliteStore,
} from "synthforge";

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const pipeline = createPipeline({
  storage: sqliteStore({ path: process.argv[3] ?? "http-service.db" }),
  models: process.env.GEMINI_API_KEY ? geminiModels() : offlineModels(),
});
await pipeline.store.init(); // create or migrate the database before the first request

/** synthforge errors a client caused (a refused request, an unknown format...): answered 400 with their one-line message. */
const CLIENT_ERRORS = new Set([
  "INVALID_REQUEST",
  "INVALID_COUNT",
  "UNKNOWN_TRAINING_TYPE",
  "CLARIFICATION_NEEDED",
  "NO_MATERIAL",
  "RUN_NOT_FOUND",
  "EXPORT_FORMAT_UNSUPPORTED",
]);

/** Runs this process is working on, with the controller that stops each one. */
const active = new Map<string, { run: PipelineRun; stop: AbortController }>();

/** A client-side error: answered with its status and message. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a JSON body of at most 16 KB. */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16_384) throw new HttpError(413, "BODY_TOO_LARGE", "The body must be at most 16 KB.");
    chunks.push(chunk);
  }
  try {
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {}
  throw new HttpError(
    400,
    "INVALID_JSON",
    'Send a JSON object such as {"request": "Generate 5 SFT examples about chemistry"}.',
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** POST /runs: starts a run and answers as soon as it is stored (its id is known). */
async function startRun(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { request } = await readJson(req);
  if (typeof request !== "string" || !request.trim()) {
    throw new HttpError(
      400,
      "INVALID_REQUEST",
      'The body needs "request": what to generate, in plain words.',
    );
  }
  const stop = new AbortController();
  // No `clarify`: a service cannot ask back, so a request that leaves out the count, the
  // training type or the topic is refused (CLARIFICATION_NEEDED) instead of guessed.
  const run = pipeline.run(request, { signal: stop.signal });
  const runId = await run.runId; // rejects with a SynthforgeError when the request is refused
  active.set(runId, { run, stop });
  run.done
    .then((s) => console.log(`run ${runId} ${s.status}: ${s.counts.approved}/${s.counts.target} approved`))
    .catch((e: unknown) => console.error(`run ${runId} failed: ${redactSecrets(String(e))}`))
    .finally(() => active.delete(runId));
  sendJson(res, 202, { runId });
}

/** GET /runs/:id: the run's status and counts, from the database. */
async function runStatus(res: ServerResponse, runId: string): Promise<void> {
  const run = await pipeline.store.getRun(runId);
  if (!run) throw new HttpError(404, "RUN_NOT_FOUND", `There is no run ${runId}.`);
  const counts = await pipeline.store.countExamples(run.id, run.trainingType);
  sendJson(res, 200, {
    runId: run.id,
    status: run.status,
    stopReason: run.stopReason,
    trainingType: run.trainingType,
    topic: run.topic,
    target: run.targetCount,
    approved: counts.approved,
    counts,
    inThisProcess: active.has(run.id),
  });
}

/** GET /runs/:id/export: approved examples as JSON Lines, streamed page by page. */
async function exportRun(res: ServerResponse, runId: string, format: string | null): Promise<void> {
  const run = await pipeline.store.getRun(runId);
  if (!run) throw new HttpError(404, "RUN_NOT_FOUND", `There is no run ${runId}.`);
  if (run.status === "planning" || run.status === "running") {
    throw new HttpError(
      409,
      "RUN_NOT_FINISHED",
      `Run ${runId} is ${run.status}; export it when it has finished.`,
    );
  }
  // checkFormat throws EXPORT_FORMAT_UNSUPPORTED (a 400 below) for a format the type has not.
  const chosen = checkFormat(
    run.trainingType,
    format ?? Object.keys(getTrainingType(run.trainingType).exporters)[0]!,
  );
  const rows = exportRows(pipeline.store, run, chosen)[Symbol.asyncIterator]();
  // Read the first row before sending headers: a row that breaks the format's rules is
  // then still an error status, not a cut-off 200.
  let next = await rows.next();
  res.writeHead(200, { "content-type": "application/x-ndjson", "x-export-format": chosen });
  while (!next.done) {
    // Respect backpressure: a slow client never makes the whole export sit in memory.
    if (!res.write(`${JSON.stringify(next.value)}\n`)) await once(res, "drain");
    next = await rows.next();
  }
  res.end();
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const [, first, id, action, ...rest] = url.pathname.split("/");
  try {
    if (first !== "runs" || rest.length) throw new HttpError(404, "NOT_FOUND", `No route ${url.pathname}.`);
    if (req.method === "POST" && !id) return await startRun(req, res);
    if (req.method === "GET" && id && !action) return await runStatus(res, decodeURIComponent(id));
    if (req.method === "GET" && id && action === "export")
      return await exportRun(res, decodeURIComponent(id), url.searchParams.get("format"));
    throw new HttpError(
      405,
      "METHOD_NOT_ALLOWED",
      `${req.method} ${url.pathname} is not a route of this service.`,
    );
  } catch (e) {
    if (res.headersSent) {
      // Mid-stream: the client sees a cut connection, never a truncated file that looks whole.
      console.error(`export of ${url.pathname} failed: ${redactSecrets(String(e))}`);
      res.destroy();
    } else if (e instanceof HttpError) {
      sendJson(res, e.status, { error: { code: e.code, message: e.message } });
    } else if (isSynthforgeError(e) && CLIENT_ERRORS.has(e.code)) {
      sendJson(res, 400, { error: { code: e.code, message: e.message } });
    } else {
      console.error(`${req.method} ${url.pathname}: ${redactSecrets(String(e))}`);
      sendJson(res, 500, { error: { code: "INTERNAL", message: "Internal error; see the service log." } });
    }
  }
});

// Keep idle connections open longer than clients and proxies do (undici's fetch: 4 s, most
// load balancers: 60 s), so the server never closes a connection a client is reusing; a
// run working in this process can keep the event loop busy past Node's 5 s default.
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

// On SIGTERM / Ctrl-C: stop taking requests, stop the runs (they can be resumed later
// with pipeline.resume or `synthforge resume`), then close the database.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    server.close();
    for (const { stop } of active.values()) stop.abort();
    await Promise.allSettled([...active.values()].map(({ run }) => run.done));
    await pipeline.close();
    console.log("stopped");
  });
}
