import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SynthforgeError } from "../core/errors.js";
import { createStudio, type StudioOptions } from "./server.js";

/** Options of {@link serveStudio}. */
export interface ServeStudioOptions extends StudioOptions {
  /** Port to listen on; 0 picks a free one. Default 4873. */
  port?: number;
  /**
   * Address to listen on. Default `127.0.0.1` (this machine only); anything else makes
   * the studio reachable from other machines (the token still guards it).
   */
  host?: string;
}

/** A running studio: its URL (with the token), and how to stop it. */
export interface RunningStudio {
  /** `http://127.0.0.1:4873/?token=…` */
  url: string;
  token: string;
  host: string;
  port: number;
  server: Server;
  /** Stops accepting requests and closes open connections (the store stays open). */
  close(): Promise<void>;
}

/** Default port of the studio. */
export const STUDIO_PORT = 4873;

/** True for an address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Serves {@link createStudio} on `host:port` with Node's HTTP server.
 *
 * @throws SynthforgeError `INVALID_REQUEST` when the port is taken or not allowed.
 */
export async function serveStudio(opts: ServeStudioOptions): Promise<RunningStudio> {
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port ?? STUDIO_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--port must be a whole number from 0 to 65535, got ${port}.`,
    );
  const handler = createStudio(opts);
  const server = createServer(handler);
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(
        new SynthforgeError(
          "INVALID_REQUEST",
          e.code === "EADDRINUSE"
            ? `Port ${port} on ${host} is in use: pass another --port (or --port 0 for any free one).`
            : e.code === "EACCES"
              ? `Not allowed to listen on ${host}:${port}: use a port above 1023.`
              : `Cannot listen on ${host}:${port}: ${e.message}`,
          { cause: e },
        ),
      );
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}/?token=${handler.token}`,
    token: handler.token,
    host: addr.address,
    port: addr.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
