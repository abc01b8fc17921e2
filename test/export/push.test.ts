/**
 * `synthforge push` (issue 14, part 4): the real `@huggingface/hub` client against a local
 * server that speaks the Hub endpoints it calls (test/helpers/hub-server.ts), with a
 * dataset folder exported from a real SQLite database made by an offline run.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { isSynthforgeError } from "../../src/core/errors.js";
import { parseSplits } from "../../src/export/export-select.js";
import { exportHfDataset } from "../../src/export/hf-dataset.js";
import { datasetFiles, pushDataset, pushRun } from "../../src/export/push.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import type { Store } from "../../src/storage/store.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";
import { type HubServer, startHubServer } from "../helpers/hub-server.js";

const TOKEN = "hf_test_writer_0123456789abcdef";
const READ_TOKEN = "hf_test_reader_0123456789abcdef";
const BOB_TOKEN = "hf_test_bob_0123456789abcdef";

let dir: string;
let dbPath: string;
let store: Store;
let runId: string;
/** A dataset folder with a train and a test split (train big enough for a multipart upload). */
let folder: string;
let hub: HubServer;

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(["node", "synthforge", ...args], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      tty: false,
    });
    return { code, out, err };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Every file of the folder arrived in the repository byte for byte; parquet through LFS. */
function expectArrived(repoName: string, from: string) {
  const repo = hub.repos.get(`dataset:${repoName}`)!;
  const files = datasetFiles(from);
  for (const f of files) {
    const local = readFileSync(join(from, f.path));
    expect(repo.files.get(f.path), f.path).toEqual(local);
    if (f.path.endsWith(".parquet")) expect(repo.lfs.get(f.path)).toBe(sha256(local));
    else expect(repo.lfs.has(f.path), f.path).toBe(false);
  }
  return repo;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sf-push-"));
  dbPath = join(dir, "data.db");
  store = sqliteStore({ path: dbPath });
  const summary = await createPipeline({ storage: store }).run(
    "Generate 20 DPO examples about general chemistry",
  ).done;
  expect(summary.counts.approved).toBe(20);
  runId = summary.runId;
  folder = join(dir, "hf");
  await exportHfDataset(store, runId, {
    dir: folder,
    split: parseSplits("train=0.8,test=0.2"),
    seed: 7,
    jsonl: true,
    metadata: true,
  });
}, 300_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  const train = statSync(join(folder, "data/train-00000-of-00001.parquet")).size;
  const test = statSync(join(folder, "data/test-00000-of-00001.parquet")).size;
  expect(train).toBeGreaterThan(test);
  hub = await startHubServer({
    tokens: {
      [TOKEN]: { name: "alice", orgs: ["chem-lab"] },
      [READ_TOKEN]: { name: "alice", role: "read" },
      [BOB_TOKEN]: { name: "bob" },
    },
    // The train shard goes up in parts (the multipart protocol); the test shard in one PUT.
    multipartAbove: test + 1,
    chunkSize: Math.ceil(train / 4),
  });
});

afterEach(async () => {
  await hub.close();
});

describe("push to a Hub", () => {
  it("creates the dataset and uploads the folder in one commit, large files through LFS, byte for byte", async () => {
    const events: string[] = [];
    const res = await pushDataset(folder, {
      repo: "alice/chem-dpo",
      private: true,
      token: TOKEN,
      hubUrl: hub.url,
      onProgress: (e) =>
        events.push(e.kind === "phase" ? e.phase : e.kind === "uploaded" ? `up ${e.path}` : e.kind),
    });
    expect(res.created).toBe(true);
    expect(res.url).toBe(`${hub.url}/datasets/alice/chem-dpo`);
    const repo = expectArrived("alice/chem-dpo", folder);
    expect(repo.private).toBe(true);
    expect(repo.commits).toHaveLength(1);
    expect(repo.commits[0]!.oid).toBe(res.commit.oid);
    expect(res.files.map((f) => f.path)).toEqual(datasetFiles(folder).map((f) => f.path));
    expect(res.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        "README.md",
        "ATTRIBUTION.md",
        "sources.json",
        "data/train-00000-of-00001.parquet",
      ]),
    );
    // The endpoints the client called, in order.
    const paths = hub.requests.map(
      (r) => `${r.method} ${r.path.replace(/\?.*$/, "").replace(/[0-9a-f]{64}/, "<oid>")}`,
    );
    expect(paths.slice(0, 4)).toEqual([
      "GET /api/whoami-v2",
      "POST /api/repos/create",
      "POST /api/datasets/alice/chem-dpo/preupload/main",
      "POST /datasets/alice/chem-dpo.git/info/lfs/objects/batch",
    ]);
    expect(paths).toContain("PUT /lfs/objects/<oid>");
    expect(paths.filter((p) => p === "PUT /lfs/parts/<oid>/1" || /^PUT \/lfs\/parts\//.test(p)).length).toBe(
      4,
    );
    expect(paths).toContain("POST /lfs/complete/<oid>");
    expect(paths.at(-1)).toBe("POST /api/datasets/alice/chem-dpo/commit/main");
    expect(events).toEqual(
      expect.arrayContaining(["repo", "preuploading", "uploadingLargeFiles", "committing"]),
    );
    expect(events).toContain("up data/train-00000-of-00001.parquet");
  });

  it("pushes again to a dataset of the user's (409 is fine), sends only what changed and removes old shards", async () => {
    await pushDataset(folder, { repo: "chem-lab/ds", token: TOKEN, hubUrl: hub.url });
    const uploadsBefore = hub.requests.filter((r) => r.method === "PUT").length;
    expect(uploadsBefore).toBeGreaterThan(0);
    // The same folder again: the Hub has every LFS object, so nothing is uploaded.
    const again = await pushDataset(folder, { repo: "chem-lab/ds", token: TOKEN, hubUrl: hub.url });
    expect(again.created).toBe(false);
    expect(hub.requests.filter((r) => r.method === "PUT").length).toBe(uploadsBefore);
    // A re-export without splits: the old test shards go in the same commit.
    const other = join(dir, "hf-one");
    await exportHfDataset(store, runId, { dir: other });
    const third = await pushDataset(other, { repo: "chem-lab/ds", token: TOKEN, hubUrl: hub.url });
    expect(third.deleted.sort()).toEqual([
      "data/test-00000-of-00001.jsonl",
      "data/test-00000-of-00001.parquet",
      "data/train-00000-of-00001.jsonl",
    ]);
    const repo = expectArrived("chem-lab/ds", other);
    expect([...repo.files.keys()].filter((f) => f.startsWith("data/"))).toEqual([
      "data/train-00000-of-00001.parquet",
    ]);
    expect(repo.commits).toHaveLength(3);
  });

  it("exports a run and pushes it (--run)", async () => {
    const res = await pushRun(store, runId, {
      repo: "alice/from-run",
      token: TOKEN,
      hubUrl: hub.url,
      format: "trl-orpo",
    });
    expect(res.export.rows).toBe(20);
    expect(res.export.format).toBe("trl-orpo");
    const repo = hub.repos.get("dataset:alice/from-run")!;
    expect(repo.files.get("README.md")!.toString("utf8")).toMatch(/`trl-orpo` format/);
    expect(repo.lfs.has("data/train-00000-of-00001.parquet")).toBe(true);
  });
});

describe("push errors: one line, typed, no token", () => {
  const bad = async (opts: { repo: string; token: string }) => {
    const e = await pushDataset(folder, { ...opts, hubUrl: hub.url }).catch((x) => x);
    expect(isSynthforgeError(e)).toBe(true);
    expect(e.message).not.toContain(opts.token);
    expect(e.message.split("\n")).toHaveLength(1);
    return e;
  };

  it("401: a token the Hub does not know", async () => {
    const e = await bad({ repo: "alice/x", token: "hf_not_a_real_token_42" });
    expect(e.code).toBe("HUB_AUTH_FAILED");
    expect(e.message).toMatch(/refused the token in HF_TOKEN \(401 Unauthorized\)/);
    expect(hub.repos.size).toBe(0);
  });

  it("403: a read-only token", async () => {
    const e = await bad({ repo: "alice/x", token: READ_TOKEN });
    expect(e.code).toBe("HUB_AUTH_FAILED");
    expect(e.message).toMatch(
      /did not allow creating the dataset alice\/x \(403 Forbidden.*needs write access to alice\/x/,
    );
  });

  it("409: the name belongs to someone else", async () => {
    hub.seedRepo("dataset", "bob/taken", { "README.md": "bob's" });
    const e = await bad({ repo: "bob/taken", token: TOKEN });
    expect(e.code).toBe("HUB_REPO_CONFLICT");
    expect(e.message).toMatch(
      /The dataset bob\/taken already exists and belongs to "bob", not to alice.*choose another --repo \(e\.g\. alice\/taken\)/,
    );
    expect(hub.repos.get("dataset:bob/taken")!.files.get("README.md")!.toString()).toBe("bob's");
    expect(hub.requests.some((r) => r.path.includes("/commit/"))).toBe(false);
  });

  it("a connection dropped mid-upload: nothing committed; running it again sends only what is missing", async () => {
    const train = readFileSync(join(folder, "data/train-00000-of-00001.parquet"));
    const test = readFileSync(join(folder, "data/test-00000-of-00001.parquet"));
    const dropped = hub.dropUploadOf(sha256(train));
    const e = await bad({ repo: "alice/flaky", token: TOKEN });
    await dropped;
    expect(e.code).toBe("HUB_UNREACHABLE");
    expect(e.message).toMatch(
      /The connection to 127\.0\.0\.1:\d+ dropped while uploading .*run the same push again/,
    );
    const repo = hub.repos.get("dataset:alice/flaky")!;
    expect(repo.commits).toHaveLength(0);
    expect(repo.files.has("README.md")).toBe(false);
    // The test shard made it; the train shard did not.
    expect(hub.objects.has(sha256(test))).toBe(true);
    expect(hub.objects.has(sha256(train))).toBe(false);

    const before = hub.requests.length;
    const res = await pushDataset(folder, { repo: "alice/flaky", token: TOKEN, hubUrl: hub.url });
    expect(res.created).toBe(false);
    const retry = hub.requests.slice(before);
    expect(retry.some((r) => r.path.includes(sha256(test)) && r.method === "PUT")).toBe(false);
    expect(retry.some((r) => r.path.includes(sha256(train)) && r.method === "PUT")).toBe(true);
    expectArrived("alice/flaky", folder);
    expect(hub.repos.get("dataset:alice/flaky")!.commits).toHaveLength(1);
  });

  it("the CLI prints one error line, exits non-zero, and never prints the token", async () => {
    const env = { SF_PUSH_TEST_TOKEN: "hf_not_a_real_token_99" };
    const r = await cli(
      ["push", folder, "--repo", "alice/x", "--hub-url", hub.url, "--token-env", "SF_PUSH_TEST_TOKEN"],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^error \[HUB_AUTH_FAILED\]: .*refused the token in SF_PUSH_TEST_TOKEN \(401/);
    expect([...r.out, ...r.err].join("\n")).not.toContain(env.SF_PUSH_TEST_TOKEN);

    const missing = await cli([
      "push",
      folder,
      "--repo",
      "alice/x",
      "--hub-url",
      hub.url,
      "--token-env",
      "SF_UNSET_TOKEN_VAR",
    ]);
    expect(missing.code).toBe(2);
    expect(missing.err).toEqual([
      expect.stringMatching(/^error \[HUB_AUTH_FAILED\]: SF_UNSET_TOKEN_VAR is not set/),
    ]);
    expect(hub.requests.length).toBe(1);

    const notHub = await cli(["push", folder, "--repo", "alice/x", "--hub-url", hub.url], {
      HF_TOKEN: "ghp_something",
    });
    expect(notHub.err).toEqual([
      expect.stringMatching(
        /^error \[HUB_AUTH_FAILED\]: The value of HF_TOKEN is not a Hub access token \(they start with hf_\)/,
      ),
    ]);
    expect(notHub.err[0]).not.toContain("ghp_something");
    expect(hub.requests.length).toBe(1);

    const badRepo = await cli(["push", folder, "--repo", "no-slash", "--hub-url", hub.url], {
      HF_TOKEN: TOKEN,
    });
    expect(badRepo.err).toEqual([
      expect.stringMatching(/^error \[INVALID_REQUEST\]: --repo "no-slash" is not a Hub repository name/),
    ]);
  });

  it("the CLI pushes a folder and a run, printing progress on stderr and the result on stdout", async () => {
    const env = { HF_TOKEN: TOKEN };
    const r = await cli(["push", folder, "--repo", "alice/cli-ds", "--hub-url", hub.url, "--private"], env);
    expect(r.code).toBe(0);
    expect(r.err[0]).toBe(`created the dataset alice/cli-ds (private): ${hub.url}/datasets/alice/cli-ds`);
    expect(r.err).toContain("  uploaded data/train-00000-of-00001.parquet");
    expect(r.out[0]).toMatch(
      new RegExp(
        `^pushed ${datasetFiles(folder).length} file\\(s\\) \\(\\d+ KB\\) to ${hub.url}/datasets/alice/cli-ds in commit [0-9a-f]{7}$`,
      ),
    );
    expect([...r.out, ...r.err].join("\n")).not.toContain(TOKEN);
    expectArrived("alice/cli-ds", folder);

    const run = await cli(
      ["push", "--run", runId, "--db", dbPath, "--repo", "alice/cli-run", "--hub-url", hub.url],
      env,
    );
    expect(run.code).toBe(0);
    expect(run.err).toContain(`exported run ${runId}: 20 dpo example(s) as trl-dpo`);
    expect(hub.repos.get("dataset:alice/cli-run")!.commits).toHaveLength(1);
  });
});
