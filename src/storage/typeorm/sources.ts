import { newId } from "../../core/ids.js";
import type { NewSource, SourceRow, SourceStore } from "../store.js";
import { In } from "../typeorm-lazy.js";
import { StoreContext } from "./context.js";
import { rowMapper } from "./rows.js";
import { chunks, columns, INSERT_CHUNK, LOOKUP_CHUNK } from "./values.js";

/**
 * The `sources` table ({@link SourceStore}).
 *
 * @internal
 */
export class TypeormSourceStore extends StoreContext implements SourceStore {
  /**
   * Inserts the sources whose content hash is new and returns, for every input, the
   * stored row (an existing row keeps its id), in input order.
   */
  async upsertSources(rows: NewSource[]): Promise<SourceRow[]> {
    if (rows.length === 0) return [];
    const now = new Date();
    const byHash = new Map<string, SourceRow>();
    for (const s of rows) {
      if (byHash.has(s.contentHash)) continue;
      byHash.set(s.contentHash, {
        id: s.id ?? newId("src"),
        url: s.url,
        title: s.title,
        authors: s.authors,
        published: s.published ?? null,
        retrievedAt: s.retrievedAt ?? now,
        adapter: s.adapter,
        licence: s.licence,
        licenceUrl: s.licenceUrl ?? null,
        isPermissive: s.isPermissive,
        attributionRequired: s.attributionRequired,
        commercialUseAllowed: s.commercialUseAllowed,
        shareAlike: s.shareAlike,
        noDerivatives: s.noDerivatives,
        licenceEvidence: s.licenceEvidence,
        contentHash: s.contentHash,
        flags: s.flags ?? null,
      });
    }
    const stored = await this.atomic(async (m) => {
      const toSourceRow = rowMapper(this.e.source);
      const found = new Map<string, SourceRow>();
      for (const part of chunks([...byHash.values()], INSERT_CHUNK)) {
        // ON CONFLICT (content_hash) DO NOTHING: safe against another process inserting
        // the same document between our check and our insert.
        await m
          .createQueryBuilder()
          .insert()
          .into(this.e.source)
          .values(part.map(columns))
          .orUpdate([], ["content_hash"])
          .updateEntity(false)
          .execute();
        const existing = await m.findBy(this.e.source, { contentHash: In(part.map((s) => s.contentHash)) });
        for (const s of existing) found.set(s.contentHash, toSourceRow(s));
      }
      return found;
    });
    return rows.map((s) => {
      const row = stored.get(s.contentHash);
      if (!row) throw new Error(`source with content hash ${s.contentHash} was not stored`);
      return { ...row };
    });
  }

  /** The sources with these ids, in the order asked (unknown ids are skipped). */
  async getSources(ids: string[]): Promise<SourceRow[]> {
    if (ids.length === 0) return [];
    const toSourceRow = rowMapper(this.e.source);
    const byId = new Map<string, SourceRow>();
    for (const part of chunks([...new Set(ids)], LOOKUP_CHUNK)) {
      const rows = await this.op((m) => m.findBy(this.e.source, { id: In(part) }));
      for (const r of rows) byId.set(r.id, toSourceRow(r));
    }
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [{ ...row }] : [];
    });
  }
}
