import { afterAll, beforeAll } from "vitest";
import { postgresStore } from "../../src/storage/typeorm-store.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";
import { pipelineSuite } from "./suite.js";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

// The core paths on PostgreSQL; the rest of the behaviour is engine-independent and runs on SQLite.
pipelineSuite("postgres", async () => postgresStore({ url: await pg.createDatabase("pipeline") }), {
  full: false,
});
