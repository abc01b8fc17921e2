import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { SynthforgeError } from "../core/errors.js";
import type { McpHost } from "./server.js";

/**
 * The Streamable HTTP transport of `synthforge mcp --http`: one MCP session per client
 * (its own server over the shared pipeline), on 127.0.0.1 by default with DNS rebinding
 * protection (the SDK's `createMcpExpressApp`). A bearer token (`SYNTHFORGE_MCP_TOKEN`, or
 * one made by `--generate-token`) is checked on every request when given, and is required
 * when the server listens on anything but a loopback address.
 */

/** Options of {@link serveHttp}. */
export interface HttpServeOptions {
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port; 0 takes a free one. */
  port: number;
  /** The bearer token every request must carry, or none (loopback only). */
  token?: string;
}

/** A listening HTTP MCP server. */
export interface HttpServing {
  /** `http://host:port/mcp`. */
  url: string;
  port: number;
  /** Stops listening and closes every session. */
  close(): Promise<void>;
}

/** Environment variable holding the bearer token of `synthforge mcp --http`. */
export const TOKEN_ENV = "SYNTHFORGE_MCP_TOKEN";

/** Shortest bearer token accepted. */
export const MIN_TOKEN_LENGTH = 16;

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** A new random bearer token (32 bytes, base64url). */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Checks the bind address and token before anything listens.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for a non-loopback address without a token, or a token that is too short.
 */
export function checkHttpAccess(host: string, token: string | undefined): void {
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `The bearer token must be at least ${MIN_TOKEN_LENGTH} characters; set a longer ${TOKEN_ENV} or pass --generate-token.`,
    );
  if (!isLoopback(host) && token === undefined)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--host ${host} lets other machines reach the server, which then needs a bearer token: set ${TOKEN_ENV} or pass --generate-token (or listen on 127.0.0.1).`,
    );
}

/** Serves `host`'s tools and resources over Streamable HTTP at `/mcp`. */
export async function serveHttp(mcp: McpHost, opts: HttpServeOptions): Promise<HttpServing> {
  const host = opts.host ?? "127.0.0.1";
  checkHttpAccess(host, opts.token);
  // Loaded only for --http: stdio never pays for express.
  const [
    { createMcpExpressApp },
    { requireBearerAuth },
    { InvalidTokenError },
    { StreamableHTTPServerTransport },
    { isInitializeRequest },
  ] = await Promise.all([
    import("@modelcontextprotocol/sdk/server/express.js"),
    import("@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js"),
    import("@modelcontextprotocol/sdk/server/auth/errors.js"),
    import("@modelcontextprotocol/sdk/server/streamableHttp.js"),
    import("@modelcontextprotocol/sdk/types.js"),
  ]);
  const app = createMcpExpressApp({ host });
  if (opts.token !== undefined) {
    const expected = Buffer.from(opts.token);
    app.use(
      "/mcp",
      requireBearerAuth({
        verifier: {
          async verifyAccessToken(token: string) {
            const given = Buffer.from(token);
            if (given.length !== expected.length || !timingSafeEqual(given, expected))
              throw new InvalidTokenError("Invalid bearer token");
            // The token does not expire while the server runs.
            return {
              token,
              clientId: "synthforge-mcp",
              scopes: [],
              expiresAt: Math.floor(Date.now() / 1000) + 3600,
            };
          },
        },
      }),
    );
  }
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();
  const rpcError = (res: import("node:http").ServerResponse, status: number, message: string) => {
    res.statusCode = status;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
  };
  // biome-ignore lint/suspicious/noExplicitAny: express's request and response (its types are not installed)
  const handle = async (req: any, res: any) => {
    const sessionId = req.headers["mcp-session-id"] as string | undefined;
    const known = sessionId ? sessions.get(sessionId) : undefined;
    if (known) return known.transport.handleRequest(req, res, req.body);
    if (sessionId) return rpcError(res, 404, `Unknown MCP session ${sessionId}; initialize a new one.`);
    if (req.method !== "POST" || !isInitializeRequest(req.body))
      return rpcError(
        res,
        400,
        "No MCP session: send an initialize request first (without an mcp-session-id header).",
      );
    const server = mcp.newServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport.handleRequest(req, res, req.body);
  };
  app.post("/mcp", handle);
  app.get("/mcp", handle);
  app.delete("/mcp", handle);

  const http: Server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, host, (e?: Error) => (e ? reject(e) : resolve(s)));
    s.once("error", reject);
  }).catch((e: NodeJS.ErrnoException) => {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      e.code === "EADDRINUSE"
        ? `Port ${opts.port} on ${host} is in use; pick another with --port (0 takes a free one).`
        : `Cannot listen on ${host}:${opts.port} (${e.code ?? e.message}); check --host and --port.`,
      { cause: e },
    );
  });
  const port = (http.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/mcp`,
    port,
    async close() {
      await Promise.allSettled([...sessions.values()].map((s) => s.server.close()));
      sessions.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
