import type MiniSearch from "minisearch";

/** The key under which MiniSearch's radix tree keeps a term's value. */
const LEAF = "";

/**
 * What the packed structures share of the `Map` each replaces: iteration over `entries()`,
 * and refusing every change (the index is read-only once packed: removing a passage is a
 * programming error).
 */
abstract class ReadOnlyMap<K, V> {
  abstract entries(): IterableIterator<[K, V]>;

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  delete(): never {
    throw new Error("packed search index is read-only");
  }

  set(): never {
    throw new Error("packed search index is read-only");
  }
}

/**
 * The postings of every packed term: passage ids, ascending per term, and their frequencies,
 * each in the narrowest typed array their largest value fits.
 */
interface Store {
  ids: Uint8Array | Uint16Array | Uint32Array;
  freqs: Uint8Array | Uint16Array | Uint32Array;
}

/** A typed array of `n` numbers up to `max`, in the fewest bytes a number. */
function narrowest(n: number, max: number): Uint8Array | Uint16Array | Uint32Array {
  return max <= 0xff ? new Uint8Array(n) : max <= 0xffff ? new Uint16Array(n) : new Uint32Array(n);
}

/**
 * One term's postings in one field, read-only: a slice of the index's shared arrays. It
 * answers what MiniSearch asks of the `Map<passage id, frequency>` it replaces (`size`,
 * `keys()` and `get()` when scoring, its entries when serialising), in 8 bytes a posting
 * and one small object a term, instead of the Map's 50-odd bytes a posting.
 */
class PackedPostings extends ReadOnlyMap<number, number> {
  constructor(
    private readonly store: Store,
    private readonly start: number,
    private readonly end: number,
  ) {
    super();
  }

  get size(): number {
    return this.end - this.start;
  }

  keys(): IterableIterator<number> {
    return this.store.ids.subarray(this.start, this.end).values();
  }

  private find(id: number): number {
    const ids = this.store.ids;
    let lo = this.start;
    let hi = this.end - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ids[mid]!;
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  get(id: number): number | undefined {
    const i = this.find(id);
    return i < 0 ? undefined : this.store.freqs[i];
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  *entries(): IterableIterator<[number, number]> {
    for (let i = this.start; i < this.end; i++) yield [this.store.ids[i]!, this.store.freqs[i]!];
  }
}

/**
 * A read-only map from small integer keys (MiniSearch's field ids) to values, in one array:
 * a term's postings by field, where MiniSearch keeps a `Map` per term.
 */
class FieldSlots<V> extends ReadOnlyMap<number, V> {
  constructor(private readonly slots: Array<V | undefined>) {
    super();
  }

  get size(): number {
    let n = 0;
    for (const v of this.slots) if (v !== undefined) n++;
    return n;
  }

  get(key: number): V | undefined {
    return this.slots[key];
  }

  has(key: number): boolean {
    return this.slots[key] !== undefined;
  }

  *entries(): IterableIterator<[number, V]> {
    for (let k = 0; k < this.slots.length; k++) {
      const v = this.slots[k];
      if (v !== undefined) yield [k, v];
    }
  }

  *keys(): IterableIterator<number> {
    for (const [k] of this.entries()) yield k;
  }
}

/**
 * A read-only node of MiniSearch's radix tree: its edge labels and children (the value
 * under {@link LEAF}) in two arrays. It answers what the tree's lookups, prefix and fuzzy
 * searches and iteration ask of the `Map` it replaces (`keys()`, `get()`, `has()`, `size`),
 * in about half the memory.
 */
class FrozenNode extends ReadOnlyMap<string, unknown> {
  constructor(
    private readonly labels: string[],
    private readonly children: unknown[],
  ) {
    super();
  }

  get size(): number {
    return this.labels.length;
  }

  keys(): IterableIterator<string> {
    return this.labels.values();
  }

  get(key: string): unknown {
    const i = this.labels.indexOf(key);
    return i < 0 ? undefined : this.children[i];
  }

  has(key: string): boolean {
    return this.labels.includes(key);
  }

  *entries(): IterableIterator<[string, unknown]> {
    for (let i = 0; i < this.labels.length; i++) yield [this.labels[i]!, this.children[i]];
  }
}

/** A node of MiniSearch 7's radix tree: edge label → child node, and {@link LEAF} → the term's postings by field. */
type TreeNode = Map<string, TreeNode | Map<number, Map<number, number>>>;

/** The postings of one field of one term, when they can be packed: passage ids ascending. */
function ascending(postings: Map<number, number>): boolean {
  let last = -1;
  for (const id of postings.keys()) {
    if (id <= last) return false;
    last = id;
  }
  return true;
}

/**
 * Packs a finished MiniSearch index, in place, into read-only structures that search
 * exactly as before. MiniSearch keeps every (term, passage) pair as a `Map` entry, every
 * term's fields in a `Map` and every node of its radix tree as a `Map`: over a 13.5 MB
 * corpus of 20,000 passages that is about 94 MB of heap, most of a run's live memory.
 * Packed, the postings of all terms share two typed arrays, each term's fields are one
 * small array, each tree node is two arrays, and no array keeps room to grow. The scores are computed from the same
 * numbers, visited in the same order (ascending passage id, the order MiniSearch added
 * them in). A term whose ids are not ascending is left as it was, and so is the path to it.
 * Call it only once every passage is added: the index can no longer add or remove any.
 *
 * Relies on MiniSearch 7's internal layout (`_index._tree`, a radix tree of `Map`s);
 * `test/sources/packed-postings.test.ts` checks that searches return the same results,
 * scores and order before and after.
 *
 * @returns the number of postings copied into the shared arrays (0 when the index was
 *   packed already)
 */
export function packPostings<T>(index: MiniSearch<T>): number {
  const terms = (index as unknown as { _index?: { _tree?: unknown } })._index;
  const root = terms?._tree;
  if (!(root instanceof Map)) return 0;
  // First pass: how many postings can be packed and their largest numbers, so they go into
  // arrays of the right size and width.
  let total = 0;
  let maxId = 0;
  let maxFreq = 0;
  const count = (node: TreeNode): void => {
    for (const [label, child] of node) {
      if (label !== LEAF) {
        count(child as TreeNode);
        continue;
      }
      for (const postings of (child as Map<number, Map<number, number>>).values()) {
        if (!(postings instanceof Map) || !ascending(postings)) continue;
        total += postings.size;
        for (const [id, freq] of postings) {
          if (id > maxId) maxId = id;
          if (freq > maxFreq) maxFreq = freq;
        }
      }
    }
  };
  count(root as TreeNode);
  const store: Store = { ids: narrowest(total, maxId), freqs: narrowest(total, maxFreq) };
  let at = 0;
  const packField = (postings: Map<number, number>): PackedPostings | Map<number, number> => {
    if (!ascending(postings)) return postings;
    const start = at;
    for (const [id, freq] of postings) {
      store.ids[at] = id;
      store.freqs[at] = freq;
      at++;
    }
    return new PackedPostings(store, start, at);
  };
  // Second pass: a frozen copy of each node whose whole subtree could be packed. Arrays are
  // made at their final length: one grown by pushing keeps room for 16 more.
  const freeze = (node: TreeNode): FrozenNode | TreeNode => {
    const labels = new Array<string>(node.size);
    const children = new Array<unknown>(node.size);
    let frozen = true;
    let i = 0;
    for (const [label, child] of node) {
      labels[i] = label;
      if (label !== LEAF) {
        const c = freeze(child as TreeNode);
        frozen &&= c instanceof FrozenNode;
        children[i++] = c;
        continue;
      }
      const byField = child as Map<number, Map<number, number>>;
      const slots = new Array<PackedPostings | undefined>(Math.max(0, ...byField.keys()) + 1);
      for (const [fieldId, postings] of byField) {
        const packed = packField(postings);
        if (packed instanceof PackedPostings) slots[fieldId] = packed;
        else frozen = false;
      }
      // A field left as a Map keeps the whole term (and the path to it) in Maps.
      children[i++] = frozen ? new FieldSlots(slots) : byField;
    }
    if (frozen) return new FrozenNode(labels, children);
    // Keep this node a Map, pointing at its children's packed forms where they have them.
    labels.forEach((label, i) => {
      if (label !== LEAF) node.set(label, children[i] as TreeNode);
    });
    return node;
  };
  (terms as { _tree: unknown })._tree = freeze(root as TreeNode);
  // Each passage's field lengths, grown one field at a time, at their final length too.
  const lengths = (index as unknown as { _fieldLength?: unknown })._fieldLength;
  if (lengths instanceof Map) for (const [id, l] of lengths) if (Array.isArray(l)) lengths.set(id, l.slice());
  return total;
}
