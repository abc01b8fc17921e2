/**
 * A local HTTP server (`node:http`, random port on 127.0.0.1) that serves recorded API
 * responses from /work/shared/fixtures (read at test time, never copied into the repo)
 * or hand-written bodies, per route, with chosen status codes, headers and delays, and
 * with failure modes: a truncated body, a huge streamed body, a dropped connection.
 * It records every request it received.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join } from "node:path";

/** Where the recorded responses live. */
export const FIXTURES_DIR = "/work/shared/fixtures";

/** Reads a recorded response body (bytes as recorded). */
export function readFixture(name: string): Buffer {
  return readFileSync(join(FIXTURES_DIR, name));
}

/** Reads and parses a recorded JSON body. */
export function readFixtureJson(name: string): unknown {
  return JSON.parse(readFixture(name).toString("utf8"));
}

/** What the server answers. */
export interface FixtureReply {
  /** HTTP status. Default 200. */
  status?: number;
  /** A recorded body, relative to {@link FIXTURES_DIR} (e.g. `arxiv/idlist-1605.08386.xml`). */
  file?: string;
  /** An inline body (hand-written responses, marked as such in the tests). */
  body?: string | Buffer;
  /** An inline JSON body. */
  json?: unknown;
  /** Content type. Default from the file extension (`.json` JSON, `.xml` XML), else text/plain. */
  contentType?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Wait this long before sending headers. */
  delayMs?: number;
  /** Send a Content-Length for the whole body but only this many bytes, then drop the connection. */
  truncateAt?: number;
  /** Stream this many bytes of filler (no Content-Length) instead of a body. */
  hugeBytes?: number;
  /** Announce this Content-Length (with `hugeBytes`). */
  announceLength?: boolean;
  /** Drop the connection without answering. */
  destroy?: boolean;
}

/** A request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  /** Path with the query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** `Date.now()` when it arrived. */
  at: number;
}

/** A route: method, path and query predicates, and the reply (or replies, in turn; the last repeats). */
export interface FixtureRoute {
  method?: string;
  path: string | RegExp;
  /** Every listed parameter must match (string: equal; RegExp: test). */
  query?: Record<string, string | RegExp>;
  reply: FixtureReply | FixtureReply[] | ((req: RecordedRequest) => FixtureReply | Promise<FixtureReply>);
}

/** A running fixture server. */
export interface FixtureServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Adds a route; routes added later take precedence. */
  route(route: FixtureRoute): void;
  /** Drops all routes and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

function contentTypeOf(reply: FixtureReply): string {
  if (reply.contentType) return reply.contentType;
  if (reply.json !== undefined) return "application/json; charset=utf-8";
  const ext = reply.file ? extname(reply.file) : "";
  if (ext === ".json") return "application/json; charset=utf-8";
  if (ext === ".xml") return "application/xml; charset=utf-8";
  return "text/plain; charset=utf-8";
}

function matches(route: FixtureRoute, req: RecordedRequest): boolean {
  if (route.method && route.method.toUpperCase() !== req.method) return false;
  if (typeof route.path === "string" ? route.path !== req.path : !route.path.test(req.path)) return false;
  for (const [k, v] of Object.entries(route.query ?? {})) {
    const got = req.query.get(k);
    if (got === null) return false;
    if (typeof v === "string" ? got !== v : !v.test(got)) return false;
  }
  return true;
}

async function send(res: ServerResponse, reply: FixtureReply): Promise<void> {
  if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
  if (reply.destroy) {
    res.socket?.destroy();
    return;
  }
  const headers: Record<string, string> = { "content-type": contentTypeOf(reply), ...(reply.headers ?? {}) };
  if (reply.hugeBytes !== undefined) {
    if (reply.announceLength) headers["content-length"] = String(reply.hugeBytes);
    res.writeHead(reply.status ?? 200, headers);
    const chunk = Buffer.alloc(64 * 1024, "a");
    let left = reply.hugeBytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          res.once("drain", pump);
          return;
        }
      }
      res.end();
    };
    res.on("error", () => undefined);
    pump();
    return;
  }
  const body: Buffer = reply.file
    ? readFixture(reply.file)
    : reply.json !== undefined
      ? Buffer.from(JSON.stringify(reply.json))
      : Buffer.isBuffer(reply.body)
        ? reply.body
        : Buffer.from(reply.body ?? "");
  headers["content-length"] = String(body.length);
  res.writeHead(reply.status ?? 200, headers);
  if (reply.truncateAt !== undefined) {
    res.write(body.subarray(0, reply.truncateAt), () => setTimeout(() => res.socket?.destroy(), 10));
    return;
  }
  res.end(body);
}

/** Starts a fixture server with the given routes. */
export async function startFixtureServer(initial: FixtureRoute[] = []): Promise<FixtureServer> {
  let routes: FixtureRoute[] = [...initial];
  const turns = new Map<FixtureRoute, number>();
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://localhost");
    const rec: RecordedRequest = {
      method: req.method ?? "GET",
      path: u.pathname,
      query: u.searchParams,
      url: req.url ?? "/",
      headers: req.headers,
      at: Date.now(),
    };
    requests.push(rec);
    req.resume();
    const route = [...routes].reverse().find((r) => matches(r, rec));
    void (async () => {
      if (!route) {
        await send(res, {
          status: 404,
          body: `no fixture route for ${rec.method} ${rec.url}`,
          contentType: "text/plain",
        });
        return;
      }
      let reply: FixtureReply;
      if (typeof route.reply === "function") reply = await route.reply(rec);
      else if (Array.isArray(route.reply)) {
        const n = turns.get(route) ?? 0;
        turns.set(route, n + 1);
        reply = route.reply[Math.min(n, route.reply.length - 1)]!;
      } else reply = route.reply;
      await send(res, reply);
    })().catch(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    route(r) {
      routes.push(r);
    },
    reset() {
      routes = [];
      requests.length = 0;
      turns.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
