import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, extname } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SynthforgeError } from "../core/errors.js";
import { normaliseForHash } from "../core/text.js";
import { fnv1a, U32MultiMap } from "./dedup.js";

/**
 * Decontamination: training data must not contain evaluation items. Benchmark files the
 * user supplies (JSONL, CSV or Parquet) are indexed by word n-grams; an example whose text
 * covers enough of one benchmark item's n-grams is contaminated, and the matched item
 * (file, row, id, field, text) is recorded.
 */

/** One text field of one benchmark row. */
export interface BenchmarkSegment {
  /** The benchmark file's name. */
  benchmark: string;
  /** 0-based row in the file. */
  row: number;
  /** The row's `id` (or `task_id`, `question_id`...) when it has one. */
  itemId: string | null;
  field: string;
  text: string;
}

/** A contamination match. */
export interface ContaminationMatch extends BenchmarkSegment {
  /** Share of the item's n-grams found in the example. */
  overlap: number;
  /** Shared n-grams. */
  shared: number;
}

/** Options of {@link BenchmarkIndex}. */
export interface BenchmarkIndexOptions {
  /** n-gram size in words. Default 8. */
  ngram?: number;
  /** Share of an item's n-grams that must appear in an example. Default 0.5. */
  minOverlap?: number;
  /** Fields to index; default every string field of at least `minWords` words. */
  fields?: string[];
  /** Shortest field indexed, in words. Default 6. */
  minWords?: number;
}

const ID_FIELDS = ["id", "_id", "task_id", "question_id", "qid", "uid", "idx", "problem_id"];

function gramKeys(words: string[], n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (words.length < n) {
    if (words.length) {
      const g = words.join(" ");
      out.push([fnv1a(g) || 1, fnv1a(g, 0x01234567)]);
    }
    return out;
  }
  for (let i = 0; i + n <= words.length; i++) {
    const g = words.slice(i, i + n).join(" ");
    out.push([fnv1a(g) || 1, fnv1a(g, 0x01234567)]);
  }
  return out;
}

/** An n-gram index of benchmark items. */
export class BenchmarkIndex {
  readonly ngram: number;
  readonly minOverlap: number;
  private readonly fields: string[] | null;
  private readonly minWords: number;
  private readonly table = new U32MultiMap(1 << 14);
  private check2: number[] = [];
  private owner: number[] = [];
  private readonly segments: BenchmarkSegment[] = [];
  private readonly gramCount: number[] = [];
  /** Lengths of segments shorter than `ngram` (matched as whole word sequences). */
  private readonly shortLengths = new Set<number>();
  /** Files loaded, with rows and segments. */
  readonly files: Array<{ path: string; rows: number; segments: number }> = [];

  constructor(opts: BenchmarkIndexOptions = {}) {
    this.ngram = opts.ngram ?? 8;
    this.minOverlap = opts.minOverlap ?? 0.5;
    this.fields = opts.fields ?? null;
    this.minWords = opts.minWords ?? 6;
  }

  /** Segments indexed. */
  get size(): number {
    return this.segments.length;
  }

  /** Adds one benchmark row (an object of fields, or a plain string). */
  addRow(benchmark: string, row: number, value: unknown): void {
    const obj =
      typeof value === "string"
        ? { text: value }
        : value && typeof value === "object"
          ? (value as Record<string, unknown>)
          : null;
    if (!obj) return;
    const idKey = ID_FIELDS.find((k) => typeof obj[k] === "string" || typeof obj[k] === "number");
    const itemId = idKey ? String(obj[idKey]) : null;
    for (const [field, v] of Object.entries(obj)) {
      if (this.fields && !this.fields.includes(field)) continue;
      if (ID_FIELDS.includes(field)) continue;
      const text = flattenText(v);
      if (!text) continue;
      const words = normaliseForHash(text).split(" ").filter(Boolean);
      if (words.length < this.minWords) continue;
      const seg = this.segments.length;
      this.segments.push({
        benchmark,
        row,
        itemId,
        field,
        text: text.length > 500 ? `${text.slice(0, 497)}...` : text,
      });
      if (words.length < this.ngram) this.shortLengths.add(words.length);
      const seen = new Set<string>();
      for (const [h1, h2] of gramKeys(words, this.ngram)) {
        const k = `${h1}:${h2}`;
        if (seen.has(k)) continue;
        seen.add(k);
        this.table.add(h1, this.check2.length);
        this.check2.push(h2);
        this.owner.push(seg);
      }
      this.gramCount.push(seen.size);
    }
  }

  /** The benchmark items a text is contaminated with (best first). */
  match(text: string): ContaminationMatch[] {
    const words = normaliseForHash(text).split(" ").filter(Boolean);
    const keys = gramKeys(words, this.ngram);
    for (const len of this.shortLengths) {
      for (let i = 0; i + len <= words.length; i++) {
        const g = words.slice(i, i + len).join(" ");
        keys.push([fnv1a(g) || 1, fnv1a(g, 0x01234567)]);
      }
    }
    const hits = new Map<number, Set<number>>();
    for (const [h1, h2] of keys) {
      this.table.forEach(h1, (entry) => {
        if (this.check2[entry] !== h2) return;
        const seg = this.owner[entry]!;
        const set = hits.get(seg) ?? new Set<number>();
        set.add(entry);
        hits.set(seg, set);
      });
    }
    const out: ContaminationMatch[] = [];
    for (const [seg, set] of hits) {
      const overlap = set.size / Math.max(1, this.gramCount[seg]!);
      if (overlap >= this.minOverlap)
        out.push({ ...this.segments[seg]!, overlap: Math.round(overlap * 1000) / 1000, shared: set.size });
    }
    return out.sort((a, b) => b.overlap - a.overlap);
  }

  /**
   * Loads a benchmark file: `.jsonl`/`.ndjson` (one JSON object or string per line),
   * `.json` (an array), `.csv` (a header row), or `.parquet`.
   *
   * @throws SynthforgeError `BENCHMARK_INVALID` naming the file and what is wrong with it.
   */
  async load(path: string): Promise<void> {
    const name = basename(path);
    try {
      await stat(path);
    } catch {
      throw new SynthforgeError("BENCHMARK_INVALID", `Benchmark file ${path} does not exist.`);
    }
    const ext = extname(path).toLowerCase();
    const before = this.segments.length;
    let rows = 0;
    if (ext === ".jsonl" || ext === ".ndjson") {
      const rl = createInterface({
        input: createReadStream(path, { encoding: "utf8" }),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      let line = 0;
      for await (const raw of rl) {
        line++;
        if (!raw.trim()) continue;
        let v: unknown;
        try {
          v = JSON.parse(raw);
        } catch {
          throw new SynthforgeError(
            "BENCHMARK_INVALID",
            `Benchmark ${path}, line ${line}: not valid JSON. Each line must be one JSON object.`,
          );
        }
        this.addRow(name, rows++, v);
      }
    } else if (ext === ".json") {
      let v: unknown;
      try {
        v = JSON.parse(await readFile(path, "utf8"));
      } catch {
        throw new SynthforgeError("BENCHMARK_INVALID", `Benchmark ${path} is not valid JSON.`);
      }
      if (!Array.isArray(v))
        throw new SynthforgeError(
          "BENCHMARK_INVALID",
          `Benchmark ${path} must hold a JSON array of items (or use .jsonl).`,
        );
      for (const item of v) this.addRow(name, rows++, item);
    } else if (ext === ".csv" || ext === ".tsv") {
      const table = parseCsv(await readFile(path, "utf8"), ext === ".tsv" ? "\t" : ",");
      const header = table[0];
      if (!header || header.length === 0)
        throw new SynthforgeError("BENCHMARK_INVALID", `Benchmark ${path} has no header row.`);
      for (const cells of table.slice(1)) {
        const obj: Record<string, string> = {};
        header.forEach((h, i) => {
          obj[h] = cells[i] ?? "";
        });
        this.addRow(name, rows++, obj);
      }
    } else if (ext === ".parquet") {
      const hp = await loadHyparquet();
      let data: Record<string, unknown>[];
      try {
        const file = await hp.asyncBufferFromFile(path);
        data = (await hp.parquetReadObjects({ file })) as Record<string, unknown>[];
      } catch (e) {
        throw new SynthforgeError(
          "BENCHMARK_INVALID",
          `Benchmark ${path} could not be read as Parquet: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      for (const obj of data) this.addRow(name, rows++, obj);
    } else {
      throw new SynthforgeError(
        "BENCHMARK_INVALID",
        `Benchmark ${path}: unsupported file type "${ext || "(none)"}". Use .jsonl, .json, .csv or .parquet.`,
      );
    }
    const segments = this.segments.length - before;
    if (rows > 0 && segments === 0) {
      throw new SynthforgeError(
        "BENCHMARK_INVALID",
        `Benchmark ${path} has ${rows} rows but no text field of at least ${this.minWords} words${this.fields ? ` in ${this.fields.join(", ")}` : ""}.`,
      );
    }
    this.files.push({ path, rows, segments });
  }
}

function flattenText(v: unknown): string {
  if (typeof v === "string") return v.trim();
  if (Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number"))
    return v.join(" ").trim();
  return "";
}

/** Parses CSV (RFC 4180: quoted fields, doubled quotes, newlines inside quotes). */
export function parseCsv(text: string, sep = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === sep) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      field = "";
      if (row.length > 1 || row[0] !== "") rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

interface Hyparquet {
  asyncBufferFromFile(path: string): Promise<unknown>;
  parquetReadObjects(opts: { file: unknown }): Promise<unknown[]>;
}

/** hyparquet, top level or the copy hyparquet-writer depends on. */
async function loadHyparquet(): Promise<Hyparquet> {
  const load = (spec: string): Promise<Hyparquet> => import(/* @vite-ignore */ spec) as Promise<Hyparquet>;
  try {
    return await load("hyparquet");
  } catch {
    try {
      const here = typeof __filename === "string" ? __filename : fileURLToPath(import.meta.url);
      const writer = createRequire(here).resolve("hyparquet-writer");
      const path = createRequire(writer).resolve("hyparquet");
      return await load(pathToFileURL(path).href);
    } catch {
      throw new SynthforgeError(
        "BENCHMARK_INVALID",
        "Reading Parquet benchmarks needs the hyparquet package (npm install hyparquet).",
      );
    }
  }
}

/** Loads benchmark files into one index. */
export async function loadBenchmarks(
  paths: string[],
  opts: BenchmarkIndexOptions = {},
): Promise<BenchmarkIndex> {
  const index = new BenchmarkIndex(opts);
  for (const p of paths) await index.load(p);
  return index;
}
