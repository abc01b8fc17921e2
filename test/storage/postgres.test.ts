import pg_ from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { freePort, startPostgres, type TestPostgres } from "../helpers/postgres.js";
import { expectCode, storeContract } from "./contract.js";

const { Client } = pg_;
let pg: TestPostgres;
const urls = new Map<TypeormStore, string>();

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

storeContract("postgres", () => ({
  async fresh() {
    const url = await pg.createDatabase("contract");
    const store = postgresStore({ url });
    urls.set(store, url);
    return store;
  },
  reopen(store) {
    const url = urls.get(store);
    if (!url) throw new Error("unknown store");
    return postgresStore({ url });
  },
}));

describe("postgres: connection errors never show the password", () => {
  it("location is the URL with its password redacted", async () => {
    const url = await pg.createDatabase("loc");
    const store = postgresStore({ url });
    expect(store.kind).toBe("postgres");
    expect(store.location).not.toContain(pg.password);
    expect(store.location).toMatch(/^postgres:\/\/postgres:\[redacted\]@127\.0\.0\.1:\d+\/loc_/);
  });

  it("nothing listening on the port → DB_UNREACHABLE", async () => {
    const port = await freePort();
    const secret = "s3cr3t-Pa55word";
    const store = postgresStore({ url: `postgres://alice:${secret}@127.0.0.1:${port}/synthforge` });
    const err = await expectCode(store.init(), "DB_UNREACHABLE");
    expect(err.message).toContain(`postgres://alice:[redacted]@127.0.0.1:${port}/synthforge`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).toMatch(/check that PostgreSQL is running/i);
    expect(err.message).not.toContain(secret);
    expect(JSON.stringify(err)).not.toContain(secret);
    expect(String(err.stack)).not.toContain(secret);
    await store.close();
  });

  it("localhost (IPv4 and IPv6 both refused) → DB_UNREACHABLE with the reason", async () => {
    const port = await freePort();
    const store = postgresStore({ url: `postgresql://bob:hunter2hunter2@localhost:${port}/db` });
    const err = await expectCode(store.init(), "DB_UNREACHABLE");
    expect(err.message).toMatch(/^postgresql:\/\/bob:\[redacted\]@localhost:\d+\/db: .*ECONNREFUSED/);
    expect(err.message).not.toContain("hunter2hunter2");
  });

  it("wrong password → DB_UNREACHABLE naming the credentials, not showing them", async () => {
    const secret = "definitely-wrong-password";
    const store = postgresStore({ url: `postgres://postgres:${secret}@127.0.0.1:${pg.port}/postgres` });
    const err = await expectCode(store.init(), "DB_UNREACHABLE");
    expect(err.message).toMatch(/password authentication failed/);
    expect(err.message).toMatch(/user name and password/);
    expect(err.message).not.toContain(secret);
  });

  it("a database that does not exist → DB_UNREACHABLE with a hint", async () => {
    const store = postgresStore({ url: pg.url("no_such_database") });
    const err = await expectCode(store.init(), "DB_UNREACHABLE");
    expect(err.message).toMatch(/does not exist/);
    expect(err.message).toMatch(/Create the database first/);
    expect(err.message).not.toContain(pg.password);
  });

  it("a database holding another application's tables → DB_SCHEMA, nothing of ours created", async () => {
    const url = await pg.createDatabase("foreign");
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("CREATE TABLE runs (x integer)");
      const store = postgresStore({ url });
      const err = await expectCode(store.init(), "DB_SCHEMA");
      expect(err.message).toMatch(/another application/);
      expect(err.message).not.toContain(pg.password);
      const tables = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      // The migration ran in one transaction: only the pre-existing table and the
      // (empty) migrations bookkeeping table are there.
      expect(tables.rows.map((r) => r.table_name)).toEqual(["runs", "synthforge_migrations"]);
      expect((await client.query("SELECT * FROM synthforge_migrations")).rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });
});
