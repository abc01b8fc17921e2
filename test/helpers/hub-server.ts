/**
 * A local HTTP server (`node:http`, random port on 127.0.0.1) that speaks the Hugging
 * Face Hub endpoints `@huggingface/hub` calls when it creates a dataset repository and
 * commits files to it (read from the package's `src/lib/{who-am-i,create-repo,commit,
 * list-files}.ts`):
 *
 * - `GET  /api/whoami-v2`                                 the token's user and orgs
 * - `POST /api/repos/create`                              create a repository (409 when it exists)
 * - `POST /api/datasets/:ns/:name/preupload/:rev`         which files go through LFS
 * - `POST /datasets/:ns/:name.git/info/lfs/objects/batch` LFS batch: upload actions (basic or
 *   multipart), none for objects the server already has
 * - `PUT  /lfs/objects/:oid`                              basic LFS upload (sha256 and size checked)
 * - `PUT  /lfs/parts/:oid/:n` + `POST /lfs/complete/:oid` multipart LFS upload
 * - `POST /api/datasets/:ns/:name/commit/:rev`            the NDJSON commit (header, file, lfsFile, deletedFile)
 * - `GET  /api/datasets/:ns/:name/tree/:rev[/path]`       the files of a repository
 *
 * It keeps repositories and LFS objects in memory, records every request, and can fail
 * on purpose: a read-only token (403 on writes), an unknown token (401), or a connection
 * dropped in the middle of one LFS upload. Test-only.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A token the server knows. */
export interface HubUser {
  name: string;
  orgs?: string[];
  /** `write` (default) or `read`: a read token gets 403 on every write. */
  role?: "read" | "write";
}

/** A repository on the fake Hub. */
export interface HubRepo {
  type: string;
  name: string;
  private: boolean;
  /** Files at the head of `main`: path → bytes. */
  files: Map<string, Buffer>;
  /** LFS pointers: path → sha256 of the content (for the files committed as `lfsFile`). */
  lfs: Map<string, string>;
  commits: Array<{ oid: string; summary: string; operations: string[] }>;
}

/** One request the server received (never its Authorization header). */
export interface HubRequest {
  method: string;
  path: string;
  /** Body bytes received (for uploads, what arrived before the end or the drop). */
  bytes: number;
}

/** Options of {@link startHubServer}. */
export interface HubServerOptions {
  /** Tokens and their users. */
  tokens: Record<string, HubUser>;
  /** Files at least this large get a multipart upload (chunks of `chunkSize`). Default: never. */
  multipartAbove?: number;
  /** Chunk size of a multipart upload. Default 64 KiB. */
  chunkSize?: number;
}

/** A running fake Hub. */
export interface HubServer {
  url: string;
  repos: Map<string, HubRepo>;
  /** LFS objects stored (sha256 → bytes). */
  objects: Map<string, Buffer>;
  requests: HubRequest[];
  /** Adds a repository as if someone had created it already. */
  seedRepo(type: string, name: string, files?: Record<string, Buffer | string>): HubRepo;
  /**
   * Drops the connection of the next LFS upload (basic or one multipart part) of the object
   * with this sha256, once half its bytes have arrived and every other upload then in
   * flight has finished. Resolves when the connection has been dropped.
   */
  dropUploadOf(oid: string): Promise<void>;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Starts the fake Hub. */
export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const repos = new Map<string, HubRepo>();
  const objects = new Map<string, Buffer>();
  const parts = new Map<string, Map<number, Buffer>>();
  const requests: HubRequest[] = [];
  const drops = new Map<string, () => void>();
  const chunkSize = opts.chunkSize ?? 64 * 1024;
  let inFlight = 0;
  let commits = 0;

  const key = (type: string, name: string) => `${type}:${name}`;
  const userOf = (req: IncomingMessage): HubUser | null => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    return m ? (opts.tokens[m[1]!] ?? null) : null;
  };
  const owns = (u: HubUser, ns: string) => u.name === ns || (u.orgs ?? []).includes(ns);

  const readBody = (req: IncomingMessage, log: HubRequest): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => {
        chunks.push(c);
        log.bytes += c.length;
      });
      req.on("end", () => resolve(Buffer.concat(chunks)));
      req.on("error", reject);
    });

  /** Reads an upload body, or drops the connection half way when asked to. */
  const readUpload = async (req: IncomingMessage, log: HubRequest, oid: string, size: number) => {
    const drop = drops.get(oid);
    if (!drop) return readBody(req, log);
    drops.delete(oid);
    await new Promise<void>((resolve) => {
      req.on("data", (c: Buffer) => {
        log.bytes += c.length;
        if (log.bytes >= size / 2) {
          req.pause();
          resolve();
        }
      });
      req.on("end", () => resolve());
    });
    // Let the other uploads finish first, so what a retry must resend is known.
    while (inFlight > 1) await new Promise((r) => setTimeout(r, 5));
    req.socket.destroy();
    drop();
    return null;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const log: HubRequest = { method: req.method ?? "GET", path: url.pathname + url.search, bytes: 0 };
    requests.push(log);
    const p = url.pathname;
    try {
      const user = userOf(req);
      const needAuth = !p.startsWith("/lfs/");
      if (needAuth && !user) {
        await readBody(req, log);
        return json(res, 401, { error: "Invalid credentials in Authorization header" });
      }
      const write = req.method !== "GET" && !p.startsWith("/lfs/");
      if (write && user?.role === "read") {
        await readBody(req, log);
        return json(res, 403, {
          error: "You don't have the rights to write with this token: it is a read token",
        });
      }

      if (req.method === "GET" && p === "/api/whoami-v2") {
        return json(res, 200, {
          type: "user",
          id: `id-${user!.name}`,
          name: user!.name,
          fullname: user!.name,
          orgs: (user!.orgs ?? []).map((o) => ({ type: "org", name: o, id: `id-${o}` })),
          auth: { type: "access_token", accessToken: { displayName: "test", role: user!.role ?? "write" } },
        });
      }

      if (req.method === "POST" && p === "/api/repos/create") {
        const body = JSON.parse((await readBody(req, log)).toString("utf8"));
        const type = body.type ?? "model";
        const name = `${body.organization ?? user!.name}/${body.name}`;
        if (repos.has(key(type, name)))
          return json(res, 409, {
            error: `You already created this ${type} repo`,
            url: `${server_url()}/${type}s/${name}`,
          });
        if (!owns(user!, name.split("/")[0]!))
          return json(res, 403, {
            error: `You don't have the rights to create a ${type} under the namespace "${name.split("/")[0]}"`,
          });
        const repo: HubRepo = {
          type,
          name,
          private: body.visibility === "private" || body.private === true,
          files: new Map(),
          lfs: new Map(),
          commits: [],
        };
        repo.files.set(".gitattributes", Buffer.from("*.parquet filter=lfs diff=lfs merge=lfs -text\n"));
        repos.set(key(type, name), repo);
        return json(res, 200, { url: `${server_url()}/${type}s/${name}`, id: `id-${name}` });
      }

      let m = /^\/api\/(models|datasets|spaces)\/([^/]+\/[^/]+)\/(preupload|commit)\/([^/]+)$/.exec(p);
      if (m && req.method === "POST") {
        const type = m[1]!.slice(0, -1);
        const repo = repos.get(key(type, m[2]!));
        const body = await readBody(req, log);
        if (!repo) return json(res, 404, { error: "Repository not found" });
        if (!owns(user!, repo.name.split("/")[0]!))
          return json(res, 403, { error: "You don't have the rights to write to this repository" });
        if (m[3] === "preupload") {
          const files = JSON.parse(body.toString("utf8")).files as Array<{
            path: string;
            size: number;
            sample: string;
          }>;
          return json(res, 200, {
            files: files.map((f) => ({
              path: f.path,
              // Like the Hub: binary content (a NUL in the first 512 bytes) and big files go through LFS.
              uploadMode:
                f.path.endsWith(".parquet") ||
                Buffer.from(f.sample, "base64").includes(0) ||
                f.size > 10 * 1024 * 1024
                  ? "lfs"
                  : "regular",
              shouldIgnore: false,
            })),
          });
        }
        const lines = body
          .toString("utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { key: string; value: Record<string, unknown> });
        const header = lines.find((l) => l.key === "header");
        if (!header) return json(res, 400, { error: "missing header" });
        const ops: string[] = [];
        // Checked first: a commit applies whole or not at all.
        for (const l of lines) {
          if (l.key === "lfsFile" && !objects.has(l.value.oid as string))
            return json(res, 422, { error: `LFS object ${l.value.oid} was never uploaded` });
        }
        for (const l of lines) {
          const path = l.value.path as string;
          if (l.key === "file") {
            repo.files.set(path, Buffer.from(l.value.content as string, "base64"));
            repo.lfs.delete(path);
            ops.push(`file ${path}`);
          } else if (l.key === "lfsFile") {
            repo.files.set(path, objects.get(l.value.oid as string)!);
            repo.lfs.set(path, l.value.oid as string);
            ops.push(`lfsFile ${path}`);
          } else if (l.key === "deletedFile") {
            repo.files.delete(path);
            repo.lfs.delete(path);
            ops.push(`deletedFile ${path}`);
          }
        }
        const oid = sha256(Buffer.from(`commit-${++commits}`)).slice(0, 40);
        repo.commits.push({ oid, summary: String(header.value.summary), operations: ops });
        return json(res, 200, {
          commitOid: oid,
          commitUrl: `${server_url()}/${type}s/${repo.name}/commit/${oid}`,
          success: true,
        });
      }

      m = /^\/(datasets\/|spaces\/)?([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(p);
      if (m && req.method === "POST") {
        const type = m[1] ? m[1].slice(0, -2) : "model";
        const repo = repos.get(key(type, m[2]!));
        const body = JSON.parse((await readBody(req, log)).toString("utf8")) as {
          objects: Array<{ oid: string; size: number }>;
        };
        if (!repo) return json(res, 404, { message: "Repository not found" });
        return json(
          res,
          200,
          {
            transfer: "basic",
            objects: body.objects.map((o) => {
              if (objects.has(o.oid)) return { oid: o.oid, size: o.size };
              if (opts.multipartAbove !== undefined && o.size >= opts.multipartAbove) {
                const n = Math.ceil(o.size / chunkSize);
                const header: Record<string, string> = { chunk_size: String(chunkSize) };
                for (let i = 1; i <= n; i++)
                  header[String(i).padStart(5, "0")] =
                    `${server_url()}/lfs/parts/${o.oid}/${i}?size=${o.size}`;
                return {
                  oid: o.oid,
                  size: o.size,
                  actions: {
                    upload: { href: `${server_url()}/lfs/complete/${o.oid}?size=${o.size}`, header },
                  },
                };
              }
              return {
                oid: o.oid,
                size: o.size,
                actions: { upload: { href: `${server_url()}/lfs/objects/${o.oid}?size=${o.size}` } },
              };
            }),
          },
          { "Content-Type": "application/vnd.git-lfs+json" },
        );
      }

      m = /^\/lfs\/objects\/([0-9a-f]{64})$/.exec(p);
      if (m && req.method === "PUT") {
        const oid = m[1]!;
        inFlight++;
        try {
          const body = await readUpload(req, log, oid, Number(url.searchParams.get("size")));
          if (!body) return;
          if (sha256(body) !== oid || body.length !== Number(url.searchParams.get("size")))
            return json(res, 400, { message: "content does not match its oid" });
          objects.set(oid, body);
          res.writeHead(200).end();
        } finally {
          inFlight--;
        }
        return;
      }

      m = /^\/lfs\/parts\/([0-9a-f]{64})\/(\d+)$/.exec(p);
      if (m && req.method === "PUT") {
        const oid = m[1]!;
        inFlight++;
        try {
          const body = await readUpload(req, log, oid, chunkSize);
          if (!body) return;
          if (!parts.has(oid)) parts.set(oid, new Map());
          parts.get(oid)!.set(Number(m[2]), body);
          res.writeHead(200, { ETag: `"${sha256(body).slice(0, 16)}"` }).end();
        } finally {
          inFlight--;
        }
        return;
      }

      m = /^\/lfs\/complete\/([0-9a-f]{64})$/.exec(p);
      if (m && req.method === "POST") {
        const oid = m[1]!;
        const body = JSON.parse((await readBody(req, log)).toString("utf8")) as {
          parts: Array<{ partNumber: number; etag: string }>;
        };
        const got = parts.get(oid);
        if (!got || body.parts.some((x) => !got.has(x.partNumber) || !x.etag))
          return json(res, 400, { message: "missing parts" });
        const all = Buffer.concat(
          body.parts.sort((a, b) => a.partNumber - b.partNumber).map((x) => got.get(x.partNumber)!),
        );
        if (sha256(all) !== oid)
          return json(res, 400, { message: "assembled content does not match its oid" });
        objects.set(oid, all);
        parts.delete(oid);
        return json(res, 200, {});
      }

      m = /^\/api\/(models|datasets|spaces)\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(p);
      if (m && req.method === "GET") {
        const repo = repos.get(key(m[1]!.slice(0, -1), m[2]!));
        if (!repo) return json(res, 404, { error: "Repository not found" });
        const under = m[4] ? `${decodeURIComponent(m[4])}/` : "";
        const recursive = url.searchParams.get("recursive") === "true";
        const entries = [...repo.files.entries()]
          .filter(([f]) => f.startsWith(under) && (recursive || !f.slice(under.length).includes("/")))
          .map(([path, b]) => ({ type: "file", path, size: b.length, oid: sha256(b).slice(0, 40) }));
        if (under && entries.length === 0)
          return json(res, 404, { error: `${under} does not exist on "main"` });
        return json(res, 200, entries);
      }

      await readBody(req, log);
      return json(res, 404, { error: `no route ${req.method} ${p}` });
    } catch (e) {
      if (!res.headersSent) json(res, 500, { error: String(e) });
    }
  });
  const server_url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));

  return {
    url: server_url(),
    repos,
    objects,
    requests,
    seedRepo(type, name, files = {}) {
      const repo: HubRepo = { type, name, private: false, files: new Map(), lfs: new Map(), commits: [] };
      for (const [p, b] of Object.entries(files)) repo.files.set(p, Buffer.isBuffer(b) ? b : Buffer.from(b));
      repos.set(key(type, name), repo);
      return repo;
    },
    dropUploadOf(oid) {
      return new Promise((resolve) => drops.set(oid, resolve));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
