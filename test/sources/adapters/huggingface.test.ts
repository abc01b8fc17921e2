import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { huggingFaceSource } from "../../../src/sources/adapters/huggingface.js";
import { type FixtureServer, startFixtureServer } from "../../helpers/fixture-server.js";
import { expectWellFormed, sourceFailure, testHttp } from "./helpers.js";

let server: FixtureServer;
const http = testHttp();
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

/**
 * HAND-WRITTEN (not recorded): Hub search answers (`/api/models?search=`, `/api/datasets?search=`)
 * and a dataset info object, shaped like the documented Hub API (huggingface.co/docs/hub/api);
 * the shared fixtures hold model info and datasets-server answers only.
 */
const MODEL_LIST = [
  {
    _id: "621ffdc036468d709f174338",
    id: "google-bert/bert-base-uncased",
    likes: 2000,
    downloads: 5e7,
    tags: ["transformers", "license:apache-2.0"],
    pipeline_tag: "fill-mask",
    createdAt: "2022-03-02T23:29:04.000Z",
  },
  {
    _id: "638f5f6c5d6b2a5c1b7c0a01",
    id: "stabilityai/stable-diffusion-2-1",
    likes: 4000,
    downloads: 1e6,
    tags: ["diffusers", "license:openrail++"],
    createdAt: "2022-12-06T17:24:51.000Z",
  },
];
const DATASET_LIST = [
  {
    _id: "621ffdd236468d709f181d58",
    id: "stanfordnlp/imdb",
    author: "stanfordnlp",
    downloads: 100000,
    tags: ["license:other"],
    createdAt: "2022-03-02T23:29:22.000Z",
  },
];
const IMDB_INFO = {
  _id: "621ffdd236468d709f181d58",
  id: "stanfordnlp/imdb",
  author: "stanfordnlp",
  lastModified: "2024-01-04T12:05:42.000Z",
  cardData: { language: ["en"], license: ["other"], task_categories: ["text-classification"] },
  tags: ["task_categories:text-classification", "language:en", "license:other"],
  description:
    "Large Movie Review Dataset. This is a dataset for binary sentiment classification containing substantially more data than previous benchmark datasets.",
};

describe("huggingFace adapter", () => {
  it("model cards: search, info from the recorded Hub answers (cardData.license), README as passages", async () => {
    server.route({ path: "/api/models", reply: { json: MODEL_LIST } });
    server.route({
      path: "/api/models/google-bert/bert-base-uncased",
      reply: { file: "huggingface/hub-api-models-google-bert-bert-base-uncased.json" },
    });
    server.route({
      path: "/api/models/stabilityai/stable-diffusion-2-1",
      reply: { file: "huggingface/hub-api-models-stabilityai-stable-diffusion-2-1.json" },
    });
    server.route({
      path: "/google-bert/bert-base-uncased/raw/main/README.md",
      reply: {
        body: "---\nlicense: apache-2.0\n---\n# BERT base model (uncased)\n\nPretrained model on English language using a masked language modeling (MLM) objective.\n\n| a | b |\n|---|---|\n",
        contentType: "text/plain",
      },
    });
    server.route({
      path: "/stabilityai/stable-diffusion-2-1/raw/main/README.md",
      reply: { status: 404, body: "Entry not found" },
    });
    const docs = await huggingFaceSource({ baseUrl: server.url, http, repoType: "model" }).search("bert", {
      limit: 2,
    });
    // the stable-diffusion record has no README and no description: no text, no document
    expect(docs.map((d) => d.title)).toEqual(["google-bert/bert-base-uncased"]);
    expectWellFormed(docs, "huggingFace");
    const d = docs[0]!;
    expect(d.url).toBe("https://huggingface.co/google-bert/bert-base-uncased");
    expect(d.licence).toMatchObject({ spdx: "Apache-2.0", permissive: true });
    expect(d.licence.evidence).toMatch(/^huggingface cardData\.license/);
    expect(d.passages.map((p) => p.text)).toEqual([
      "Pretrained model on English language using a masked language modeling (MLM) objective.",
    ]);
    expect(d.authors).toEqual(["google-bert"]);
    expect(d.published).toBe("2024-02-19");
    expect(server.requests[0]!.query.get("search")).toBe("bert");
  });

  it("dataset cards with matching rows from the datasets-server (recorded doc examples)", async () => {
    server.route({ path: "/api/datasets", reply: { json: DATASET_LIST } });
    server.route({ path: "/api/datasets/stanfordnlp/imdb", reply: { json: IMDB_INFO } });
    server.route({
      path: "/datasets/stanfordnlp/imdb/raw/main/README.md",
      reply: { status: 404, body: "Entry not found" },
    });
    server.route({
      path: "/splits",
      reply: {
        json: {
          splits: [
            { dataset: "stanfordnlp/imdb", config: "plain_text", split: "train" },
            { dataset: "stanfordnlp/imdb", config: "plain_text", split: "test" },
          ],
          pending: [],
          failed: [],
        },
      },
    });
    server.route({ path: "/search", reply: { file: "huggingface/datasets-server-search-imdb-text.json" } });
    const docs = await huggingFaceSource({
      baseUrl: server.url,
      datasetsServerUrl: server.url,
      http,
      rows: true,
      passagesPerDocument: 10,
    }).search("imdb dog", { limit: 1 });
    expect(docs).toHaveLength(1);
    const d = docs[0]!;
    expect(d.url).toBe("https://huggingface.co/datasets/stanfordnlp/imdb");
    // "other" is not a licence anyone can rely on
    expect(d.licence.permissive).toBe(false);
    expect(d.passages.some((p) => p.text.startsWith("Large Movie Review Dataset."))).toBe(true);
    expect(d.passages.some((p) => p.text.startsWith("Pedantic, overlong fabrication"))).toBe(true);
    const search = server.requests.find((r) => r.path === "/search")!;
    expect(search.query.get("config")).toBe("plain_text");
    expect(search.query.get("split")).toBe("train");
  });

  it("falls back to first rows when the dataset is not indexed for search", async () => {
    server.route({ path: "/api/datasets", reply: { json: DATASET_LIST } });
    server.route({
      path: "/api/datasets/stanfordnlp/imdb",
      reply: { json: { ...IMDB_INFO, description: undefined } },
    });
    server.route({
      path: "/datasets/stanfordnlp/imdb/raw/main/README.md",
      reply: { status: 404, body: "Entry not found" },
    });
    server.route({ path: "/splits", reply: { file: "huggingface/datasets-server-splits-all.json" } });
    server.route({ path: "/search", reply: { status: 501, json: { error: "The split is not indexed" } } });
    server.route({
      path: "/first-rows",
      reply: { file: "huggingface/datasets-server-first-rows-imdb-plain_text-train.json" },
    });
    const [d] = await huggingFaceSource({
      baseUrl: server.url,
      datasetsServerUrl: server.url,
      http,
      rows: true,
      rowsPerDataset: 2,
    }).search("imdb", { limit: 1 });
    expect(d!.passages.some((p) => p.text.startsWith("I rented I AM CURIOUS-YELLOW"))).toBe(true);
    // the duorc splits answer has no "train" first: train is chosen
    expect(server.requests.find((r) => r.path === "/first-rows")!.query.get("split")).toBe("train");
  });

  it("rows(): a slice of a split, and the documented 422 for a negative length", async () => {
    const src = huggingFaceSource({ baseUrl: server.url, datasetsServerUrl: server.url, http });
    server.route({
      path: "/rows",
      query: { length: "3" },
      reply: { file: "huggingface/datasets-server-rows-imdb-slice.json" },
    });
    const page = await src.rows("stanfordnlp/imdb", {
      config: "plain_text",
      split: "train",
      offset: 234,
      length: 3,
    });
    expect(page.rows.map((r) => r.rowIdx)).toEqual([234, 235, 236]);
    expect(String(page.rows[0]!.row.text).startsWith("Well, you know the rest!")).toBe(true);
    server.route({
      path: "/rows",
      query: { length: "-1" },
      reply: { status: 422, file: "huggingface/datasets-server-rows-422-negative-length.json" },
    });
    const e = await sourceFailure(
      src.rows("stanfordnlp/imdb", { config: "plain_text", split: "train", length: -1 }),
    );
    expect(e.details).toMatchObject({ status: 422 });
    expect(e.message).toContain("Parameter 'length' must be positive");
    // the /info answer is not a rows page
    server.route({
      path: "/rows",
      reply: { file: "huggingface/datasets-server-info-dataset-metadata.json" },
    });
    expect(
      (await sourceFailure(src.rows("ylecun/mnist", { config: "mnist", split: "train" }))).details,
    ).toMatchObject({ reason: "unexpected-shape" });
  });

  it("tries the query's words when the whole query finds no repository; [] when none does", async () => {
    server.route({ path: "/api/datasets", reply: { json: [] } });
    expect(
      await huggingFaceSource({ baseUrl: server.url, http }).search("sentiment analysis of movie reviews"),
    ).toEqual([]);
    expect(server.requests.map((r) => r.query.get("search"))).toEqual([
      "sentiment",
      "analysis",
      "movie",
      "reviews",
    ]);
    server.route({ path: "/api/datasets", reply: { json: { error: "Invalid search" } } });
    expect(
      (await sourceFailure(huggingFaceSource({ baseUrl: server.url, http }).search("x"))).details,
    ).toMatchObject({ reason: "unexpected-shape" });
  });
});
