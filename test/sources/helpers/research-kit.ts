import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { newId, sha256 } from "../../../src/core/ids.js";
import { silentLogger } from "../../../src/core/logger.js";
import type { Plan, SourceDocument } from "../../../src/core/types.js";
import { offlineModels } from "../../../src/models/factories.js";
import { contextHelpers, type RunContext } from "../../../src/pipeline/context.js";
import { DEFAULT_REVIEW } from "../../../src/pipeline/pipeline.js";
import { processRegistry } from "../../../src/pipeline/registry.js";
import { licencePolicy } from "../../../src/sources/licence.js";
import type { SearchOptions, SourceAdapter } from "../../../src/sources/types.js";
import type { QuestionRow, Store } from "../../../src/storage/store.js";
import { getTrainingType } from "../../../src/training-types/index.js";
import { FIXTURES } from "./fixture-licences.js";

/** A source wrapped to count its searches (and the queries asked). */
export interface CountingSource extends SourceAdapter {
  queries: string[];
}

/** Wraps a source so each search is counted; everything else passes through. */
export function counting(source: SourceAdapter): CountingSource {
  const queries: string[] = [];
  return {
    id: source.id,
    description: source.description,
    queries,
    search(query: string, opts?: SearchOptions) {
      queries.push(query);
      return source.search(query, opts);
    },
    ...(source.close ? { close: () => source.close!() } : {}),
  };
}

/** A source of fixed documents (tests of ranking, licences and flags). */
export function staticSource(
  id: string,
  docs: Array<Omit<SourceDocument, "adapter" | "contentHash"> & { contentHash?: string }>,
): CountingSource {
  return counting({
    id,
    description: `fixed documents (${id})`,
    async search(_query, opts) {
      return docs.slice(0, opts?.limit ?? docs.length).map((d) => ({
        ...d,
        adapter: id,
        contentHash: d.contentHash ?? sha256(`${id}:${d.title}:${d.passages.map((p) => p.text).join("\n")}`),
      }));
    },
  });
}

/** A source that always fails (a service that is down). */
export function failingSource(id: string): CountingSource {
  return counting({
    id,
    description: "always fails",
    async search() {
      throw new Error("HTTP 503 from the service (test)");
    },
  });
}

/**
 * A local HTTP server that answers the MediaWiki Action API from the recorded fixtures:
 * `list=search` with the recorded search, `prop=extracts` with the recorded article for
 * the one title it holds, 404 for other titles.
 */
export async function wikipediaFixtureServer(): Promise<{
  baseUrl: string;
  requests: string[];
  close(): Promise<void>;
}> {
  const dir = join(FIXTURES, "wikipedia");
  const search = readFileSync(join(dir, "action-query-list-search-python-programming.json"));
  const extracts = readFileSync(join(dir, "action-query-prop-extracts-explaintext-python.json"));
  const extractTitle = (
    JSON.parse(extracts.toString("utf8")) as { query: { pages: Record<string, { title: string }> } }
  ).query.pages;
  const held = Object.values(extractTitle)[0]!.title;
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push(url.pathname + url.search);
    const p = url.searchParams;
    const json = (status: number, body: Buffer | string) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(body);
    };
    if (url.pathname !== "/w/api.php") return json(404, '{"error":"not found"}');
    if (p.get("list") === "search") return json(200, search);
    if ((p.get("prop") ?? "").includes("extracts") && p.get("titles") === held) return json(200, extracts);
    return json(404, '{"error":"no such page in the fixtures"}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A plan for direct stage tests. */
export function testPlan(domain: string, subTopics: string[], topic = "chemistry"): Plan {
  return {
    topic,
    domain,
    trainingType: "sft",
    count: 10,
    subTopics: subTopics.map((name) => ({ name, quota: 5, focus: "" })),
    difficultyMix: { easy: 0.3, medium: 0.5, hard: 0.2 },
    sources: [],
    licencePolicy: "permissive",
    researchNotes: "",
    executionNotes: "",
  };
}

/**
 * A run context like the pipeline's, over a real store and the offline models, for
 * running the research stage directly. Creates the run.
 */
export async function researchContext(
  store: Store,
  sources: SourceAdapter[],
  plan: Plan,
  opts: { policy?: Parameters<typeof licencePolicy>[0] } = {},
): Promise<RunContext> {
  const models = offlineModels();
  const run = await store.createRun({
    id: newId("run"),
    request: `Generate ${plan.count} SFT examples about ${plan.topic}`,
    trainingType: "sft",
    topic: plan.topic,
    targetCount: plan.count,
    config: {},
    status: "running",
    provider: "offline",
    plan,
  });
  const signal = new AbortController().signal;
  const emit = () => undefined;
  return {
    runId: run.id,
    run,
    plan,
    store,
    models,
    sources,
    licencePolicy: licencePolicy(opts.policy),
    trainingType: getTrainingType("sft"),
    registry: processRegistry,
    review: DEFAULT_REVIEW,
    logger: silentLogger,
    signal,
    need: 0,
    emit,
    ...contextHelpers({
      runId: run.id,
      store,
      models,
      sink: async (rec) => store.recordLlmCall({ id: newId("call"), ...rec }),
      signal,
      emit,
    }),
  };
}

/** Inserts questions of one sub-topic and returns their rows. */
export async function addQuestions(
  ctx: RunContext,
  subTopic: string,
  texts: string[],
): Promise<QuestionRow[]> {
  const rows = texts.map((text) => ({
    id: newId("q"),
    runId: ctx.runId,
    topic: ctx.run.topic,
    subTopic,
    difficulty: "medium" as const,
    text,
    textHash: sha256(text),
  }));
  await ctx.store.insertQuestions(rows);
  return Promise.all(rows.map(async (r) => (await ctx.store.getQuestion(r.id))!));
}
