import type { SourceDocument } from "../core/types.js";
import type { SearchOptions, SourceAdapter } from "../sources/types.js";

/** One cached search: the limit it was made with and its documents (in flight or found). */
interface Entry {
  limit: number | undefined;
  docs: Promise<SourceDocument[]>;
  /** Set once the search succeeded: the number of documents it found. */
  found?: number;
}

/** Searches a {@link SearchCache} keeps at most (least recently used ones go first). */
export const SEARCH_CACHE_ENTRIES = 256;
/** Results longer than this are shared only while in flight, never kept (deep material pages). */
export const SEARCH_CACHE_MAX_DOCS = 200;

/**
 * The source searches of one run: each (source, query) is fetched once, and later
 * searches for it are served from the first one's documents (the plan's look at the
 * sources for its hints and its estimate of the material, then research). A search asking
 * for at most as many documents as a kept one (or any number, when the kept one found
 * fewer than it asked for: the source has no more) gets the first documents of the kept
 * result; a search asking for more is fetched again and replaces it. Concurrent identical
 * searches share one call. A failed search is never kept (a later one tries again).
 *
 * Bounded: at most {@link SEARCH_CACHE_ENTRIES} searches, each of at most
 * {@link SEARCH_CACHE_MAX_DOCS} documents. Sources are told apart by identity, not by id
 * (two `--corpus` folders are both `localFiles`).
 */
export class SearchCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ids = new WeakMap<SourceAdapter, number>();
  private nextId = 0;
  /** Searches sent to a source (not served from the cache). */
  fetched = 0;
  /** Searches served from the cache. */
  served = 0;

  constructor(
    private readonly maxEntries = SEARCH_CACHE_ENTRIES,
    private readonly maxDocs = SEARCH_CACHE_MAX_DOCS,
  ) {}

  /** Documents of `source` for `query`, fetched at most once per (source, query) while they cover `opts.limit`. */
  async search(source: SourceAdapter, query: string, opts: SearchOptions = {}): Promise<SourceDocument[]> {
    const key = `${this.idOf(source)}\u0000${query}`;
    const want = opts.limit;
    const entry = this.entries.get(key);
    if (entry) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, entry);
      if (covers(entry.limit, want)) {
        const docs = await entry.docs;
        this.served++;
        return want === undefined ? docs.slice() : docs.slice(0, want);
      }
      // A smaller search that found everything the source has also answers a larger one.
      if (entry.found !== undefined && entry.limit !== undefined && entry.found < entry.limit) {
        this.served++;
        return (await entry.docs).slice(0, want);
      }
    }
    this.fetched++;
    const docs = source.search(query, opts);
    const fresh: Entry = { limit: want, docs };
    this.entries.set(key, fresh);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    try {
      const found = await docs;
      fresh.found = found.length;
      if (found.length > this.maxDocs && this.entries.get(key) === fresh) this.entries.delete(key);
      return found.slice();
    } catch (e) {
      if (this.entries.get(key) === fresh) this.entries.delete(key);
      throw e;
    }
  }

  /** Searches kept now. */
  get size(): number {
    return this.entries.size;
  }

  private idOf(source: SourceAdapter): number {
    let id = this.ids.get(source);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(source, id);
    }
    return id;
  }
}

/** True when a search made with limit `had` holds the documents a search with limit `want` returns. */
function covers(had: number | undefined, want: number | undefined): boolean {
  if (had === want) return true;
  if (had === undefined || want === undefined) return false;
  return had >= want;
}

/** The search cache of each run, by the run row object of its context. */
const byRun = new WeakMap<object, SearchCache>();

/**
 * The search cache of a run (made on first use). `run` is the run row object every stage
 * of the run sees as `ctx.run`.
 */
export function runSearches(run: object): SearchCache {
  let cache = byRun.get(run);
  if (!cache) {
    cache = new SearchCache();
    byRun.set(run, cache);
  }
  return cache;
}

/**
 * Makes `cache` the search cache of `run`: the searches made while the run was being
 * created (the offline check of the material) serve its plan and research.
 */
export function adoptSearches(run: object, cache: SearchCache): void {
  byRun.set(run, cache);
}
