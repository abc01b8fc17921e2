import type { SourceDocument } from "../core/types.js";

/** Options of a source search. */
export interface SearchOptions {
  /** Maximum documents to return. */
  limit?: number;
  signal?: AbortSignal;
}

/**
 * A source adapter (DESIGN §3.5): searches one kind of source and returns documents
 * with word-for-word passages and a normalised licence. Adapters treat everything they
 * read as untrusted data.
 */
export interface SourceAdapter {
  /** Stable id, stored on every source row (`sources.adapter`). */
  readonly id: string;
  /** One line for `synthforge sources list`. */
  readonly description: string;
  /** Documents relevant to `query`, best first; each carries only its relevant passages. */
  search(query: string, opts?: SearchOptions): Promise<SourceDocument[]>;
  /**
   * Releases what the adapter holds open (an MCP server process, an HTTP session).
   * `pipeline.close()` calls it; a closed adapter may refuse further searches.
   */
  close?(): Promise<void>;
}
