import { once } from "node:events";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  type WriteStream,
} from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import type { ReviewStatus, SourceFlag } from "../core/types.js";
import type { RunRow, SourceRow, Store } from "../storage/store.js";

/**
 * The licence ledger of an export (the specification's `verify_license()`, done
 * properly): every source the exported examples are grounded in, with its licence, the
 * credit line it needs and what its licence asks of whoever redistributes the data.
 * Written beside the export as Markdown for people (`<name>.ATTRIBUTION.md`) and JSON for
 * programs (`<name>.sources.json`); see docs/licences.md.
 *
 * It streams the run's examples (constant memory in the number of examples) and keeps
 * only the distinct source ids with a count of the examples using each.
 */

/** Options of {@link writeAttribution}. */
export interface AttributionOptions {
  /** The export's output path (a file such as `train.jsonl`, or a folder); the ledger goes beside it. */
  out: string;
  /** Which examples the export holds, by review status. Default: approved only. */
  reviewStatus?: ReviewStatus[];
  /**
   * The source ids the export used (a Map gives the number of examples per source), when
   * the caller already collected them while writing; otherwise the examples are
   * streamed from the store.
   */
  sources?: Map<string, number> | Iterable<string>;
  /** Examples in the export, when `sources` is given (for the header). */
  examples?: number;
  /** Written into the header. Default: now. */
  now?: Date;
}

/** Where the ledger files of an export go. */
export interface AttributionPaths {
  markdown: string;
  json: string;
}

/** What {@link writeAttribution} wrote. */
export interface AttributionResult extends AttributionPaths {
  /** Examples looked at. */
  examples: number;
  /** Examples with no source (should be 0: every example is grounded). */
  examplesWithoutSources: number;
  /** Distinct sources listed. */
  sources: number;
  /** Source ids referenced by examples but missing from the `sources` table. */
  missingSources: string[];
  /** Sources per licence (SPDX id). */
  licences: Record<string, number>;
  /** SPDX ids of share-alike licences among the sources. */
  shareAlike: string[];
  /** Sources whose licence is not permissive (admitted by a policy other than `permissive`), including unknown ones. */
  nonPermissive: number;
  /** Sources flagged for prompt injection. */
  flagged: number;
}

/** One source in the JSON ledger. */
export interface AttributionEntry {
  id: string;
  title: string;
  authors: string[];
  url: string;
  published: string | null;
  adapter: string;
  retrievedAt: string;
  licence: {
    spdx: string;
    url: string | null;
    permissive: boolean;
    attributionRequired: boolean;
    commercialUseAllowed: boolean;
    shareAlike: boolean;
    noDerivatives: boolean;
    evidence: string;
  };
  /** The credit line to reproduce (title, author, source, licence). */
  credit: string;
  /** Examples of the export grounded in this source (null when the caller gave only the ids). */
  examples: number | null;
  flags: SourceFlag[];
}

const FILE_EXTENSIONS = /\.(?:jsonl|json|parquet|csv|arrow|txt)(?:\.(?:gz|zst|bz2|xz))?$/i;

/**
 * The ledger paths for an export: `train.jsonl` → `train.ATTRIBUTION.md` and
 * `train.sources.json`; a folder (existing, or a path ending in `/`) → `ATTRIBUTION.md`
 * and `sources.json` inside it.
 */
export function attributionPaths(out: string): AttributionPaths {
  const path = resolve(out);
  const isDir = /[/\\]$/.test(out) || (existsSync(path) && statSync(path).isDirectory());
  if (isDir) return { markdown: join(path, "ATTRIBUTION.md"), json: join(path, "sources.json") };
  const stem = FILE_EXTENSIONS.test(path)
    ? path.replace(FILE_EXTENSIONS, "")
    : path.slice(0, path.length - extname(path).length) || path;
  return { markdown: `${stem}.ATTRIBUTION.md`, json: `${stem}.sources.json` };
}

/** Untrusted text on one line: whitespace collapsed, control characters dropped. */
function oneLine(text: string, max = 500): string {
  const t = text
    .replace(/[\p{Cc}\u2028\u2029]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Untrusted text made inert in Markdown (no links, HTML, emphasis or headings of its own). */
export function escapeMarkdown(text: string, max = 500): string {
  return oneLine(text, max).replace(/([\\`*_[\]<>|~])/g, "\\$1");
}

/** A URL printed as a Markdown autolink when it is a plain http(s)/file URL, else as escaped text. */
function mdUrl(url: string | null): string {
  if (!url) return "—";
  const u = oneLine(url, 2000);
  return /^(?:https?|file|mcp):\/\/[^\s<>"]+$/i.test(u) ? `<${u}>` : escapeMarkdown(u);
}

function authorsText(authors: string[]): string {
  if (authors.length === 0) return "";
  if (authors.length <= 3) return authors.map((a) => oneLine(a, 120)).join(", ");
  return `${oneLine(authors[0]!, 120)} et al.`;
}

/**
 * The credit line of a source (title, author, source, licence — the "TASL" form Creative
 * Commons recommends), e.g. `"Polymers" by synthforge contributors, https://…, licensed
 * under CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/)`.
 */
export function creditLine(
  source: Pick<SourceRow, "title" | "authors" | "url" | "licence" | "licenceUrl">,
): string {
  const by = authorsText(source.authors);
  const licence =
    source.licence === "unknown"
      ? "licence unknown"
      : `licensed under ${source.licence}${source.licenceUrl ? ` (${oneLine(source.licenceUrl, 300)})` : ""}`;
  return `"${oneLine(source.title, 300)}"${by ? ` by ${by}` : ""}, ${oneLine(source.url, 500)}, ${licence}`;
}

function entryOf(s: SourceRow, examples: number | null): AttributionEntry {
  return {
    id: s.id,
    title: s.title,
    authors: s.authors,
    url: s.url,
    published: s.published,
    adapter: s.adapter,
    retrievedAt: s.retrievedAt.toISOString(),
    licence: {
      spdx: s.licence,
      url: s.licenceUrl,
      permissive: s.isPermissive,
      attributionRequired: s.attributionRequired,
      commercialUseAllowed: s.commercialUseAllowed,
      shareAlike: s.shareAlike,
      noDerivatives: s.noDerivatives,
      evidence: s.licenceEvidence,
    },
    credit: creditLine(s),
    examples,
    flags: s.flags ?? [],
  };
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

/** Writes a file through a temporary name, renamed when complete. */
async function writeFileStreamed(
  path: string,
  body: (out: (text: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp, { encoding: "utf8" });
  try {
    await body((t) => write(stream, t));
    stream.end();
    await once(stream, "finish");
    renameSync(tmp, path);
  } catch (e) {
    stream.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
}

function licenceFlags(l: AttributionEntry["licence"]): string {
  const parts = [
    l.attributionRequired ? "attribution required" : "no attribution required",
    l.commercialUseAllowed ? "commercial use allowed" : "non-commercial",
    ...(l.shareAlike ? ["share-alike"] : []),
    ...(l.noDerivatives ? ["no derivatives"] : []),
    l.permissive ? "permissive" : "NOT permissive",
  ];
  return parts.join(" · ");
}

/**
 * Writes the attribution ledger of an export: `<name>.ATTRIBUTION.md` and
 * `<name>.sources.json` beside `opts.out` (see {@link attributionPaths}). Streams the
 * run's examples (the given review statuses) to collect the distinct source ids unless
 * `opts.sources` already lists them. Files appear only when complete.
 */
export async function writeAttribution(
  store: Store,
  run: RunRow,
  opts: AttributionOptions,
): Promise<AttributionResult> {
  const paths = attributionPaths(opts.out);
  const counts = new Map<string, number | null>();
  let examples = 0;
  let withoutSources = 0;
  if (opts.sources) {
    if (opts.sources instanceof Map) for (const [id, n] of opts.sources) counts.set(id, n);
    else for (const id of opts.sources) counts.set(id, null);
    examples = opts.examples ?? 0;
  } else {
    for await (const ex of store.iterateExamples(run.id, run.trainingType, {
      reviewStatus: opts.reviewStatus ?? ["approved"],
    })) {
      examples++;
      if (ex.sources.length === 0) withoutSources++;
      for (const id of new Set(ex.sources)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  const rows = await store.getSources([...counts.keys()]);
  const found = new Set(rows.map((r) => r.id));
  const missing = [...counts.keys()].filter((id) => !found.has(id));
  const entries = rows
    .map((r) => entryOf(r, counts.get(r.id) ?? null))
    .sort(
      (a, b) =>
        (b.examples ?? 0) - (a.examples ?? 0) || a.title.localeCompare(b.title) || a.id.localeCompare(b.id),
    );

  const licences: Record<string, number> = {};
  for (const e of entries) licences[e.licence.spdx] = (licences[e.licence.spdx] ?? 0) + 1;
  const shareAlike = [
    ...new Set(entries.filter((e) => e.licence.shareAlike).map((e) => e.licence.spdx)),
  ].sort();
  const nonPermissive = entries.filter((e) => !e.licence.permissive);
  const unknown = entries.filter((e) => e.licence.spdx === "unknown");
  const attributionNeeded = entries.filter((e) => e.licence.attributionRequired);
  const flagged = entries.filter((e) => e.flags.length > 0);
  const generatedAt = (opts.now ?? new Date()).toISOString();
  const exportName = basename(resolve(opts.out));
  const jsonName = basename(paths.json);
  const licenceList = Object.entries(licences)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([id, n]) => `${id} ×${n}`)
    .join(", ");

  await writeFileStreamed(paths.markdown, async (out) => {
    await out("# Attribution and licences\n\n");
    await out(
      `This file lists every source the examples in \`${exportName}\` are grounded in, the licence each is under, and what that licence asks of you. ` +
        `synthforge wrote it with the export: run \`${run.id}\` (${run.trainingType}, "${escapeMarkdown(run.topic, 200)}"), ${generatedAt}. ` +
        `A machine-readable copy is \`${jsonName}\`. Keep both with the dataset.\n\n`,
    );
    await out(
      `**${examples} example(s)** · **${entries.length} source(s)**${licenceList ? ` · licences: ${licenceList}` : ""}\n\n`,
    );
    await out("## What the licences ask\n\n");
    const notes: string[] = [];
    if (attributionNeeded.length) {
      notes.push(
        `- **Attribution.** ${attributionNeeded.length} source(s) require credit. Wherever you share the dataset or work derived from it, credit them with the credit lines below (keeping this file with the data does that).`,
      );
    }
    if (shareAlike.length) {
      const n = entries.filter((e) => e.licence.shareAlike).length;
      notes.push(
        `- **Share-alike.** ${n} source(s) are under ${shareAlike.join(", ")}: material adapted from them must be shared under the same licence (or a compatible one). Publish the dataset under ${shareAlike.join(" / ")} unless you remove the examples grounded in those sources.`,
      );
    }
    if (nonPermissive.length) {
      notes.push(
        `- **Not permissive.** ${nonPermissive.length} source(s) have a licence that does not allow free reuse${unknown.length ? ` (${unknown.length} of them unknown)` : ""}; they were admitted by a licence policy other than \`permissive\`. Check their terms before you use or share this dataset: ${nonPermissive
          .slice(0, 10)
          .map((e) => `\`${e.id}\` (${e.licence.spdx})`)
          .join(", ")}${nonPermissive.length > 10 ? ", …" : ""}.`,
      );
    }
    if (flagged.length) {
      notes.push(
        `- **Prompt injection.** ${flagged.length} source(s) contain text that tries to instruct a model. It was treated as data (fenced in every prompt), and the sources are flagged below.`,
      );
    }
    if (missing.length)
      notes.push(
        `- **Missing.** ${missing.length} source id(s) referenced by examples are not in the database: ${missing
          .slice(0, 10)
          .map((m) => `\`${m}\``)
          .join(", ")}.`,
      );
    if (withoutSources) notes.push(`- **Ungrounded.** ${withoutSources} example(s) name no source.`);
    if (notes.length === 0)
      notes.push(
        entries.length
          ? "- Every source is under a licence that asks for nothing beyond what is listed below."
          : "- The export holds no examples grounded in sources.",
      );
    await out(`${notes.join("\n")}\n\n## Sources\n`);
    let i = 0;
    for (const e of entries) {
      i++;
      const lines = [
        `\n### ${i}. ${escapeMarkdown(e.title || "(untitled)", 300)}\n`,
        ...(e.authors.length ? [`- **Authors:** ${escapeMarkdown(e.authors.join("; "), 600)}`] : []),
        ...(e.published ? [`- **Published:** ${escapeMarkdown(e.published, 40)}`] : []),
        `- **URL:** ${mdUrl(e.url)}`,
        `- **Licence:** ${e.licence.spdx === "unknown" ? "unknown" : escapeMarkdown(e.licence.spdx, 100)}${e.licence.url ? ` (${mdUrl(e.licence.url)})` : ""} — ${licenceFlags(e.licence)}`,
        `- **Credit line:** ${escapeMarkdown(e.credit, 1200)}`,
        ...(e.licence.shareAlike
          ? [
              `- **Share-alike:** adaptations must be shared under ${escapeMarkdown(e.licence.spdx, 100)} or a compatible licence.`,
            ]
          : []),
        ...(e.examples !== null ? [`- **Used by:** ${e.examples} example(s)`] : []),
        `- **Licence evidence:** ${escapeMarkdown(e.licence.evidence, 400)}`,
        ...e.flags.map(
          (f) => `- **Flag:** ${f.kind} (${escapeMarkdown(f.rule, 80)}): “${escapeMarkdown(f.excerpt, 220)}”`,
        ),
        `- **Source id:** \`${e.id.replace(/`/g, "")}\` (adapter \`${e.adapter.replace(/`/g, "")}\`, retrieved ${e.retrievedAt.slice(0, 10)})`,
      ];
      await out(`${lines.join("\n")}\n`);
    }
  });

  await writeFileStreamed(paths.json, async (out) => {
    const head = {
      schema: "synthforge.attribution/1",
      export: exportName,
      generatedAt,
      run: { id: run.id, trainingType: run.trainingType, topic: run.topic },
      examples,
      examplesWithoutSources: withoutSources,
      licences,
      obligations: {
        attribution: attributionNeeded.length,
        shareAlike,
        nonPermissive: nonPermissive.length,
        unknown: unknown.length,
        flagged: flagged.length,
      },
      missingSources: missing,
    };
    await out(`${JSON.stringify(head, null, 2).replace(/\n}$/, "")},\n  "sources": [`);
    let first = true;
    for (const e of entries) {
      await out(`${first ? "\n" : ",\n"}    ${JSON.stringify(e)}`);
      first = false;
    }
    await out(`${first ? "" : "\n  "}]\n}\n`);
  });

  return {
    ...paths,
    examples,
    examplesWithoutSources: withoutSources,
    sources: entries.length,
    missingSources: missing,
    licences,
    shareAlike,
    nonPermissive: nonPermissive.length,
    flagged: flagged.length,
  };
}
