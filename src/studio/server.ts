/**
 * `synthforge studio`: a local web app over a synthforge database. Runs and their live
 * progress, the human review queue, an examples browser, a quality dashboard and export.
 * {@link createStudio} returns a plain Node request handler, so a host can mount it in its
 * own HTTP server; the CLI serves it on 127.0.0.1.
 *
 * Security: every request (pages, API, assets) must carry the studio's token (`?token=`,
 * the cookie set on the first visit, or `Authorization: Bearer`), else 401. Pages are
 * served with a strict Content-Security-Policy (scripts and styles from the studio only,
 * nothing inline, no other origin); the client builds the DOM with `textContent`, so
 * stored text (model output, sources) is always shown as text.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { isSynthforgeError, SynthforgeError } from "../core/errors.js";
import { REVIEW_STATUSES, type ReviewStatus } from "../core/types.js";
import { exportRun } from "../export/export.js";
import {
  type ExportSelection,
  parseLicenceFilter,
  parseReviewStatuses,
  parseSplits,
  type StratifyBy,
} from "../export/export-select.js";
import type { Store } from "../storage/store.js";
import { type ExampleQuery, studioQueries } from "../storage/studio-queries.js";
import { getTrainingType } from "../training-types/index.js";
import { APP_CSS, APP_JS, pageHtml } from "./assets.js";
import { decideExample, exampleDetail, type HumanAction } from "./review.js";

/** Options of {@link createStudio}. */
export interface StudioOptions {
  /** The database to show (initialised: `init()` already called). */
  store: Store;
  /** The access token. Default: 32 random bytes, hex. */
  token?: string;
  /** Who human decisions are recorded as. Default: the OS user. */
  reviewer?: string;
  /** Receives unexpected errors (answered with a 500 that carries no detail). Default: ignored. */
  onError?: (e: unknown) => void;
}

/** A Node request handler serving the studio; `token` is the one requests must carry. */
export interface StudioHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** The access token (print it in the URL: `http://127.0.0.1:4873/?token=…`). */
  readonly token: string;
}

/** The Content-Security-Policy of every response. */
export const STUDIO_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const MAX_BODY = 4 * 1024 * 1024;

let chartJs: string | null = null;
/** Chart.js (UMD build), read once from node_modules: nothing is fetched from the internet. */
function chartScript(): string {
  if (chartJs === null) {
    const main = createRequire(import.meta.url).resolve("chart.js");
    chartJs = readFileSync(join(dirname(main), "chart.umd.min.js"), "utf8");
  }
  return chartJs;
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = "INVALID_REQUEST",
  ) {
    super(message);
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
) {
  res.writeHead(status, {
    "Content-Type": type,
    "Content-Security-Policy": STUDIO_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    ...extra,
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown) {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = String(req.headers["content-type"] ?? "");
  if (!type.startsWith("application/json")) throw new HttpError(415, "Send the body as application/json.");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, "The request body is larger than 4 MB.");
    chunks.push(c as Buffer);
  }
  let v: unknown;
  try {
    v = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  } catch {
    throw new HttpError(400, "The request body is not valid JSON.");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new HttpError(400, "Send a JSON object.");
  return v as Record<string, unknown>;
}

function numberParam(v: string | null, name: string, range: [number, number]): number | undefined {
  if (v === null || v.trim() === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < range[0] || n > range[1])
    throw new HttpError(400, `${name} must be a number from ${range[0]} to ${range[1]}, got "${v}".`);
  return n;
}

function statusParam(v: string | null): ReviewStatus[] | undefined {
  if (v === null || v.trim() === "") return undefined;
  return parseReviewStatuses(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

/**
 * Creates the studio: a Node request handler over `store` (mount it with
 * `http.createServer(createStudio({ store }))`, or in a host's own server). Requests
 * without the token get 401.
 *
 * @example
 * ```ts
 * const store = sqliteStore({ path: "synthforge.db" });
 * await store.init();
 * const studio = createStudio({ store });
 * http.createServer(studio).listen(4873, "127.0.0.1");
 * console.log(`http://127.0.0.1:4873/?token=${studio.token}`);
 * ```
 */
export function createStudio(opts: StudioOptions): StudioHandler {
  const { store } = opts;
  const token = opts.token ?? randomBytes(32).toString("hex");
  if (token.length < 16 || !/^[\x21-\x7e]+$/.test(token))
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "The studio token must be at least 16 printable characters, without spaces.",
    );
  const tokenDigest = digest(token);
  const cookieName = `sf_studio_${tokenDigest.toString("hex").slice(0, 8)}`;
  const q = studioQueries(store);
  const valid = (t: string | undefined | null) => !!t && timingSafeEqual(digest(t), tokenDigest);

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? "GET";
    const path = url.pathname;
    const p = url.searchParams;
    if (method === "GET" && (path === "/" || path === "/index.html"))
      return send(res, 200, "text/html; charset=utf-8", pageHtml());
    if (method === "GET" && path === "/assets/app.js")
      return send(res, 200, "text/javascript; charset=utf-8", APP_JS);
    if (method === "GET" && path === "/assets/app.css")
      return send(res, 200, "text/css; charset=utf-8", APP_CSS);
    if (method === "GET" && path === "/assets/chart.js")
      return send(res, 200, "text/javascript; charset=utf-8", chartScript());
    if (!path.startsWith("/api/")) throw new HttpError(404, `No page ${path}.`, "NOT_FOUND");

    let parts: string[];
    try {
      parts = path.split("/").slice(2).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, `Malformed path ${path}.`);
    }
    if (method === "GET" && parts.length === 1 && parts[0] === "runs") {
      const runs = await store.listRuns(200);
      const out = [];
      for (const r of runs) {
        const c = await store.countQuestions(r.id);
        out.push({
          id: r.id,
          status: r.status,
          trainingType: r.trainingType,
          topic: r.topic,
          targetCount: r.targetCount,
          approved: c.approved,
          dropped: c.rejected + c.failed,
          createdAt: r.createdAt,
          updatedAt: r.updatedAt,
        });
      }
      return json(res, 200, { location: store.location, runs: out });
    }
    if (parts[0] !== "runs" || !parts[1]) throw new HttpError(404, `No API ${path}.`, "NOT_FOUND");
    const run = await store.getRun(parts[1]);
    if (!run) throw new HttpError(404, `No run ${parts[1]} in this database.`, "RUN_NOT_FOUND");
    const rest = parts.slice(2);

    if (method === "GET" && rest.length === 0) {
      const [questions, examples, dropReasons, usage, modelUsage] = await Promise.all([
        store.countQuestions(run.id),
        store.countExamples(run.id, run.trainingType),
        store.dropReasonCounts(run.id),
        store.usage(run.id),
        q.modelUsage(run.id),
      ]);
      const approved = questions.approved;
      let formats: string[] = [];
      try {
        formats = Object.keys(getTrainingType(run.trainingType).exporters);
      } catch {
        formats = [];
      }
      return json(res, 200, {
        run: {
          id: run.id,
          status: run.status,
          trainingType: run.trainingType,
          topic: run.topic,
          request: run.request,
          targetCount: run.targetCount,
          stopReason: run.stopReason,
          provider: run.provider,
          createdAt: run.createdAt,
          updatedAt: run.updatedAt,
          finishedAt: run.finishedAt,
        },
        questions,
        examples,
        dropReasons: [...dropReasons].sort((a, b) => b.n - a.n),
        usage,
        callsPerApproved: approved > 0 ? usage.calls / approved : null,
        costPerApproved: approved > 0 ? usage.costUsd / approved : null,
        modelUsage,
        formats,
        statuses: REVIEW_STATUSES,
      });
    }
    if (method === "GET" && rest.length === 1 && rest[0] === "facets")
      return json(res, 200, await q.facets(run.id, run.trainingType));
    if (method === "GET" && rest.length === 1 && rest[0] === "quality")
      return json(res, 200, await q.quality(run.id, run.trainingType));
    if (method === "GET" && rest.length === 1 && rest[0] === "queue") {
      const sample = numberParam(p.get("approved"), "approved", [0, 200]) ?? 0;
      const queue = await q.listExamples(run.id, run.trainingType, {
        status: ["needs_revision"],
        ...(p.get("after") ? { after: p.get("after")! } : {}),
        limit: 100,
      });
      const approvedSample = sample
        ? (
            await q.listExamples(run.id, run.trainingType, {
              status: ["approved"],
              limit: sample,
              count: false,
            })
          ).rows
        : [];
      return json(res, 200, { queue, approvedSample });
    }
    if (method === "GET" && rest.length === 1 && rest[0] === "examples") {
      const query: ExampleQuery = {};
      const status = statusParam(p.get("status"));
      if (status) query.status = status;
      const min = numberParam(p.get("minScore"), "minScore", [0, 1]);
      if (min !== undefined) query.minScore = min;
      const max = numberParam(p.get("maxScore"), "maxScore", [0, 1]);
      if (max !== undefined) query.maxScore = max;
      const limit = numberParam(p.get("limit"), "limit", [1, 200]);
      if (limit !== undefined) query.limit = limit;
      for (const k of ["subTopic", "difficulty", "failedCheck", "licence", "after"] as const) {
        const v = str(p.get(k));
        if (v) query[k] = v;
      }
      if (p.get("count") === "0") query.count = false;
      const text = str(p.get("q"));
      if (text) query.text = text.slice(0, 500);
      return json(res, 200, await q.listExamples(run.id, run.trainingType, query));
    }
    if (method === "GET" && rest.length === 2 && rest[0] === "examples")
      return json(res, 200, await exampleDetail(store, run.id, rest[1]!));
    if (method === "POST" && rest.length === 3 && rest[0] === "examples" && rest[2] === "decision") {
      const body = await readJson(req);
      const action = body.action as HumanAction;
      const result = await decideExample(store, {
        runId: run.id,
        exampleId: rest[1]!,
        action,
        ...(typeof body.reason === "string" ? { reason: body.reason } : {}),
        ...(body.data !== undefined ? { data: body.data as Record<string, unknown> } : {}),
        ...(opts.reviewer ? { reviewer: opts.reviewer } : {}),
      });
      return json(res, 200, result);
    }
    if (method === "POST" && rest.length === 1 && rest[0] === "export") {
      const body = await readJson(req);
      const format = str(body.format);
      const out = str(body.out);
      if (!format || !out) throw new HttpError(400, "Export needs a format and an output file (out).");
      const sel: ExportSelection & { metadata?: boolean } = {};
      const status = str(body.status);
      if (status) sel.reviewStatus = parseReviewStatuses(status);
      const minScore = numberParam(str(body.minScore) ?? null, "--min-score", [0, 1]);
      if (minScore !== undefined) sel.minScore = minScore;
      const licence = str(body.licence);
      if (licence) sel.licence = parseLicenceFilter(licence);
      const split = str(body.split);
      if (split) sel.split = parseSplits(split);
      const seed = str(body.seed);
      if (seed !== undefined) {
        if (!/^\d+$/.test(seed))
          throw new HttpError(400, `--seed must be a whole number of 0 or more, got "${seed}".`);
        sel.seed = Number(seed);
      }
      const stratify = str(body.stratify);
      if (stratify) sel.stratify = stratify as StratifyBy;
      if (body.metadata === true) sel.metadata = true;
      if (out === "-")
        throw new HttpError(400, "The studio writes to a file: give a path ending in .jsonl or .parquet.");
      const result = await exportRun(store, run.id, { format, out, overwrite: body.force === true, ...sel });
      return json(res, 200, result);
    }
    throw new HttpError(404, `No API ${method} ${path}.`, "NOT_FOUND");
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://studio.invalid");
    } catch {
      send(res, 400, "text/plain; charset=utf-8", "Bad request.");
      return;
    }
    const fromQuery = url.searchParams.get("token");
    const auth = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ""))?.[1];
    const fromCookie = cookies(req).get(cookieName);
    const ok = valid(fromQuery) || valid(auth) || valid(fromCookie);
    if (!ok) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="synthforge studio"');
      send(
        res,
        401,
        "text/plain; charset=utf-8",
        "401: this synthforge studio needs its token. Open the URL `synthforge studio` printed (it ends in ?token=…).",
      );
      return;
    }
    if (
      valid(fromQuery) &&
      (req.method ?? "GET") === "GET" &&
      (url.pathname === "/" || url.pathname === "/index.html")
    ) {
      // Keep the token out of the address bar and history: set the cookie, then load the page without it.
      url.searchParams.delete("token");
      send(res, 303, "text/plain; charset=utf-8", "See the studio.", {
        "Set-Cookie": `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: `${url.pathname}${url.search}${url.hash}`,
      });
      return;
    }
    route(req, res, url).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) return json(res, e.status, { error: { code: e.code, message: e.message } });
      if (isSynthforgeError(e)) {
        const status =
          e.code === "RUN_NOT_FOUND" ? 404 : ["DB_UNREACHABLE", "MODEL_ERROR"].includes(e.code) ? 503 : 400;
        return json(res, status, { error: { code: e.code, message: e.message } });
      }
      opts.onError?.(e);
      return json(res, 500, {
        error: { code: "INTERNAL", message: "The studio failed to answer; see its terminal." },
      });
    });
  };
  return Object.assign(handler, { token }) as StudioHandler;
}
