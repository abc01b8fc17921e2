import type { Command } from "commander";
import { SynthforgeError } from "../core/errors.js";
import { checkHttpAccess, generateToken, isLoopback, serveHttp, TOKEN_ENV } from "../mcp/http.js";
import { type McpFlags, openMcpHost } from "../mcp/server.js";
import type { CliIO } from "./progress.js";
import { addRunOptions } from "./run-options.js";

/** Flags of `synthforge mcp`. */
type McpCommandFlags = McpFlags & {
  http?: boolean;
  port?: string;
  host?: string;
  generateToken?: boolean;
};

/** Default port of `synthforge mcp --http`. */
export const DEFAULT_MCP_PORT = 8765;

/** Resolves when the process is asked to stop (SIGINT, SIGTERM) or `extra` fires. */
function stopSignal(extra?: (stop: () => void) => void): Promise<string> {
  return new Promise((resolve) => {
    const stop = (why: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(why);
    };
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    extra?.(() => stop("closed"));
  });
}

async function mcp(flags: McpCommandFlags, io: CliIO): Promise<number> {
  // Everything that can be wrong with the flags is said before the database is opened.
  if (!flags.http && (flags.port !== undefined || flags.host !== undefined || flags.generateToken))
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `${flags.port !== undefined ? "--port" : flags.host !== undefined ? "--host" : "--generate-token"} applies to --http; stdio (the default) takes none.`,
    );
  const port = flags.port === undefined ? DEFAULT_MCP_PORT : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--port must be a whole number from 0 to 65535, got "${flags.port}".`,
    );
  const host = flags.host ?? "127.0.0.1";
  const fromEnv = process.env[TOKEN_ENV]?.trim() || undefined;
  const token = flags.generateToken ? generateToken() : fromEnv;
  if (flags.http) checkHttpAccess(host, token);

  const mcpHost = await openMcpHost(flags, io);
  try {
    if (!flags.http) {
      const { StdioServerTransport } = await import("@modelcontextprotocol/sdk/server/stdio.js");
      const server = mcpHost.newServer();
      const transport = new StdioServerTransport();
      // Standard output carries the protocol only: every line of ours goes to standard error.
      const stopped = stopSignal((stop) => {
        process.stdin.once("end", stop);
        process.stdin.once("close", stop);
        transport.onclose = stop;
      });
      await server.connect(transport);
      io.err("synthforge MCP server on stdio (JSON-RPC on standard input/output; Ctrl-C to stop)");
      await stopped;
      await server.close().catch(() => undefined);
      return 0;
    }
    const serving = await serveHttp(mcpHost, { host, port, ...(token !== undefined ? { token } : {}) });
    // Listening for the stop signals before the URL is printed: a script that stops the
    // server as soon as it reads the URL must not meet the default (killing) handler.
    const stopped = stopSignal();
    // The URL line comes last: a script waiting for it has the token line already.
    if (flags.generateToken) io.err(`bearer token (send "Authorization: Bearer <token>"): ${token}`);
    else if (token !== undefined) io.err(`bearer token required: the one in ${TOKEN_ENV}`);
    else io.err(`no bearer token: only this machine can connect (${isLoopback(host) ? "loopback" : host})`);
    io.err(`synthforge MCP server on ${serving.url} (Streamable HTTP; Ctrl-C to stop)`);
    await stopped;
    await serving.close();
    return 0;
  } finally {
    // Runs in progress stop after their candidates in flight; `synthforge resume` continues them.
    await mcpHost.close();
  }
}

/**
 * `synthforge mcp [--http [--port N] [--host ADDR] [--generate-token]]`: serves the
 * pipeline to MCP clients, with the same database, config, provider and source settings
 * as `synthforge generate`.
 */
export function registerMcpCommand(program: Command, io: CliIO, setCode: (code: number) => void): void {
  addRunOptions(
    program
      .command("mcp")
      .description(
        "Serve synthforge to MCP clients (agents, IDEs): tools plan, generate, run_status, list_runs, export, review_rows, search_sources, list_formats; stdio by default",
      )
      .option("--http", "serve over Streamable HTTP at http://<host>:<port>/mcp instead of stdio")
      .option("--port <n>", `with --http: port (default ${DEFAULT_MCP_PORT}; 0 takes a free one)`)
      .option(
        "--host <addr>",
        `with --http: address to listen on (default 127.0.0.1; anything else needs a bearer token)`,
      )
      .option(
        "--generate-token",
        `with --http: make a random bearer token and print it on standard error (else ${TOKEN_ENV} is the token, when set)`,
      ),
  ).action(async (flags: McpCommandFlags) => setCode(await mcp(flags, io)));
}
