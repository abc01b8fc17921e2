/**
 * Where an export goes: `-` is standard output, a file's extension must match what is
 * written, an existing file is kept unless the caller overwrites, and a failed export
 * leaves no folder it made behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import { checkExportOut, exportRun, writeJsonl } from "../../src/export/export.js";
import { checkHfDir, exportHfDataset } from "../../src/export/hf-dataset.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import type { Store } from "../../src/storage/store.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";

let dir: string;
let store: Store;
let runId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sf-out-path-"));
  store = sqliteStore({ path: join(dir, "data.db") });
  const pipeline = createPipeline({ storage: store });
  const summary = await pipeline.run("Generate 2 SFT examples about stoichiometry").done;
  expect(summary.counts.approved).toBe(2);
  runId = summary.runId;
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error("expected a rejection");
}

describe("checkExportOut", () => {
  it("reads - as standard output, .jsonl as JSON Lines and .parquet as Parquet", () => {
    expect(checkExportOut("-")).toEqual({ path: "-", fileType: "jsonl", stdout: true });
    expect(checkExportOut(join(dir, "a.jsonl"))).toMatchObject({ fileType: "jsonl", stdout: false });
    expect(checkExportOut(join(dir, "a.PARQUET"))).toMatchObject({ fileType: "parquet" });
  });

  it.each([
    [
      "x.json",
      { format: "trl-dpo" },
      /the trl-dpo rows would be written as JSON Lines, .*use --out x\.jsonl/,
    ],
    ["x.csv", {}, /use --out x\.jsonl \(or x\.parquet for Parquet, or - for standard output\)/],
    [
      "x.jsonl",
      { fileType: "parquet" as const },
      /written as Parquet, which needs the \.parquet extension: use --out x\.parquet/,
    ],
    ["-", { fileType: "parquet" as const }, /Parquet cannot be written to standard output/],
  ])("refuses %s %j with the right extension named", (out, opts, message) => {
    expect(() => checkExportOut(out, opts)).toThrow(expect.objectContaining({ code: "OUTPUT_PATH_INVALID" }));
    expect(() => checkExportOut(out, opts)).toThrow(message);
  });

  it("refuses a folder, and an existing file unless overwrite", () => {
    const folder = join(dir, "folder.jsonl");
    mkdirSync(folder, { recursive: true });
    expect(() => checkExportOut(folder)).toThrow(/is a folder; give a file path/);
    const file = join(dir, "exists.jsonl");
    writeFileSync(file, "x\n");
    expect(() => checkExportOut(file, { overwrite: false })).toThrow(/already exists; pass --force/);
    expect(checkExportOut(file, { overwrite: true }).path).toBe(file);
  });
});

describe("exportRun", () => {
  it("refuses an extension that does not match before reading anything", async () => {
    const out = join(dir, "train.json");
    const e = await rejection(exportRun(store, runId, { format: "alpaca", out }));
    expect(isSynthforgeError(e, "OUTPUT_PATH_INVALID")).toBe(true);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, "train.ATTRIBUTION.md"))).toBe(false);
  });

  it("keeps an existing file with overwrite: false, and replaces it by default", async () => {
    const out = join(dir, "keep.jsonl");
    writeFileSync(out, "mine\n");
    await rejection(exportRun(store, runId, { format: "alpaca", out, overwrite: false }));
    expect(readFileSync(out, "utf8")).toBe("mine\n");
    const res = await exportRun(store, runId, { format: "alpaca", out });
    expect(res.rows).toBe(2);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(2);
  });

  it('writes JSON Lines to standard output for out "-", and no ledger files', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const res = await exportRun(store, runId, { format: "trl-sft-messages", out: "-" });
      expect(res).toMatchObject({ path: "-", fileType: "jsonl", rows: 2 });
      expect(res.attribution).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    const lines = written.join("").trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(JSON.parse(l).messages.length).toBeGreaterThan(1);
    expect(existsSync("-")).toBe(false);
  });
});

describe("folders an export makes", () => {
  it("are removed again when the export fails", async () => {
    async function* failing(): AsyncGenerator<Record<string, unknown>> {
      yield { a: 1 };
      throw new Error("row 2 is bad");
    }
    const out = join(dir, "new", "deeper", "x.jsonl");
    await expect(writeJsonl(out, failing())).rejects.toThrow("row 2 is bad");
    expect(existsSync(join(dir, "new"))).toBe(false);
  });

  it("--hf: a new dataset folder is removed when there is nothing to export", async () => {
    const hf = join(dir, "hf-new", "ds");
    expect(checkHfDir(hf)).toEqual([join(dir, "hf-new"), hf]);
    const e = await rejection(exportHfDataset(store, runId, { dir: hf, reviewStatus: ["needs_revision"] }));
    expect(isSynthforgeError(e, "EXPORT_EMPTY")).toBe(true);
    expect(existsSync(join(dir, "hf-new"))).toBe(false);
  });
});
