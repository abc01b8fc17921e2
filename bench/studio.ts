/**
 * Studio benchmark: latency of the studio's pages and filters over a 100,000-example
 * run, printing p50/p95 ms per endpoint, on SQLite and/or an embedded PostgreSQL.
 *
 *   npm run bench:studio
 *   npm run bench:studio -- --engine both          # or --engine postgres
 *   npx tsx bench/studio.ts --rows 20000 --repeat 50 --keep
 *
 * The SQLite database is built under the OS temp folder (bench/fixture-db.ts): one
 * offline run makes real DPO examples, and SQL copies them N times (distinct ids and
 * prompts, scores spread over [0, 1], a mix of review statuses, one judge verdict per
 * example, a failed one for a tenth). `--engine postgres` builds the same in a throwaway
 * embedded PostgreSQL server. The studio is served on 127.0.0.1 and every endpoint is
 * requested `--repeat` times after a warm-up, one request at a time, through HTTP with
 * the token. "cpu p50" is the process's own CPU time per request (server and client
 * share the process; the SQLite queries run on its main thread): it stays meaningful on a
 * loaded machine, where wall times grow with the wait for a core. (PostgreSQL's work is
 * in its server processes, so there it is the client and server side only.)
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../src/storage/store.js";
import { postgresStore, sqliteStore } from "../src/storage/typeorm-store.js";
import { serveStudio } from "../src/studio/serve.js";
import { buildFixtureDatabase, type FixtureOptions } from "./fixture-db.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const ROWS = Number(arg("rows", "100000"));
const REPEAT = Number(arg("repeat", "30"));
const KEEP = process.argv.includes("--keep");
/** `sqlite` (default), `postgres` or `both`. */
const ENGINE = arg("engine", "sqlite");
const WORK = join(tmpdir(), "synthforge-bench");
const DB = join(WORK, `studio-${ROWS}.db`);

async function buildDatabase(where: Pick<FixtureOptions, "path" | "url">, label: string): Promise<string> {
  const { runId, builtSeconds } = await buildFixtureDatabase({
    ...where,
    request: "Generate 8 DPO examples about organic chemistry",
    type: "dpo",
    copies: ROWS,
    mode: "all",
  });
  if (builtSeconds !== null) console.log(`built ${label}: ${ROWS} examples in ${builtSeconds.toFixed(1)} s`);
  return runId;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Requests every endpoint of the studio over `store`; prints and returns p50/p95 per endpoint. */
async function measure(engine: string, store: Store, runId: string): Promise<void> {
  const studio = await serveStudio({ store, port: 0 });
  const base = `http://127.0.0.1:${studio.port}`;
  const headers = { Authorization: `Bearer ${studio.token}` };
  const get = async (path: string) => {
    const r = await fetch(base + path, { headers });
    const body = await r.text();
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${body}`);
    return body;
  };
  const run = `/api/runs/${runId}`;
  const sub = (JSON.parse(await get(`${run}/facets`)) as { subTopics: string[] }).subTopics[0]!;
  // A cursor deep in the run: the 50,000th example of the keyset order.
  const deep = `ex_bench_${String(Math.floor(ROWS / 2)).padStart(9, "0")}`;
  const firstExample = (JSON.parse(await get(`${run}/examples?limit=1`)) as { rows: Array<{ id: string }> })
    .rows[0]!.id;
  const endpoints: Array<[string, string]> = [
    ["runs list", "/api/runs"],
    ["run overview (live poll)", run],
    ["review queue", `${run}/queue?approved=20`],
    ["example detail", `${run}/examples/${firstExample}`],
    ["examples: first page", `${run}/examples`],
    ["examples: page at 50%", `${run}/examples?after=${deep}`],
    ["filter: status", `${run}/examples?status=needs_revision`],
    ["filter: score range", `${run}/examples?minScore=0.4&maxScore=0.6`],
    ["filter: sub-topic", `${run}/examples?subTopic=${encodeURIComponent(sub)}`],
    ["filter: failed check", `${run}/examples?failedCheck=judge`],
    ["filter: licence", `${run}/examples?licence=CC-BY-4.0`],
    ["filter: text search", `${run}/examples?q=${encodeURIComponent("(4242)")}`],
    ["filter: combined", `${run}/examples?status=approved&minScore=0.5&subTopic=${encodeURIComponent(sub)}`],
    ["quality dashboard", `${run}/quality`],
    ["facets", `${run}/facets`],
  ];
  console.log(`studio on ${engine} over ${ROWS} examples; ${REPEAT} requests per endpoint after one warm-up`);
  console.log(
    `${"endpoint".padEnd(28)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"cpu p50".padStart(8)}`,
  );
  for (const [name, path] of endpoints) {
    await get(path);
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const t = performance.now();
      const c = process.cpuUsage();
      await get(path);
      times.push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(28)} ${pct(times, 50).toFixed(1).padStart(8)} ${pct(times, 95).toFixed(1).padStart(8)} ${pct(cpu, 50).toFixed(1).padStart(8)}`,
    );
  }
  await studio.close();
}

async function main(): Promise<void> {
  if (!["sqlite", "postgres", "both"].includes(ENGINE))
    throw new Error(`--engine must be sqlite, postgres or both, got "${ENGINE}"`);
  if (ENGINE !== "postgres") {
    const runId = await buildDatabase({ path: DB }, DB);
    const store = sqliteStore({ path: DB });
    await store.init();
    await measure("SQLite", store, runId);
    await store.close();
    if (!KEEP) for (const f of [DB, `${DB}-wal`, `${DB}-shm`]) rmSync(f, { force: true });
  }
  if (ENGINE === "sqlite") return;
  // The test suite's embedded PostgreSQL (a throwaway server, data directory removed on stop).
  const { startPostgres } = await import("../test/helpers/postgres.js");
  const server = await startPostgres();
  try {
    const url = await server.createDatabase("studio_bench");
    const pgRun = await buildDatabase({ url }, "embedded PostgreSQL");
    const pgStore = postgresStore({ url });
    await pgStore.init();
    await measure("PostgreSQL", pgStore, pgRun);
    await pgStore.close();
  } finally {
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
