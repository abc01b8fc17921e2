import { z } from "zod";
import { registerSourceTypeName } from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import { arxivSource } from "./adapters/arxiv.js";
import { biorxivSource, medrxivSource } from "./adapters/biorxiv.js";
import { chemrxivSource } from "./adapters/chemrxiv.js";
import type { RemoteSourceOptions } from "./adapters/common.js";
import { coreSource } from "./adapters/core.js";
import { crossrefSource } from "./adapters/crossref.js";
import { doajSource } from "./adapters/doaj.js";
import { europePmcSource } from "./adapters/europepmc.js";
import { githubSource } from "./adapters/github.js";
import { huggingFaceSource } from "./adapters/huggingface.js";
import { openalexSource } from "./adapters/openalex.js";
import { plosSource } from "./adapters/plos.js";
import { pubchemSource } from "./adapters/pubchem.js";
import { pubmedSource } from "./adapters/pubmed.js";
import { semanticScholarSource } from "./adapters/semantic-scholar.js";
import { stackExchangeSource } from "./adapters/stackexchange.js";
import { webPageSource } from "./adapters/web-page.js";
import { wikipediaSource } from "./adapters/wikipedia.js";
import { corpusSource } from "./corpus.js";
import { localFilesSource } from "./local-files.js";
import type { SourceAdapter } from "./types.js";

/**
 * The source registry: every adapter registers under its id, so the pipeline and the
 * CLI create sources by id from config (`sources: [{ type: arxiv }]`). Ids are the
 * service's name in lower camel case, one word per written word: `arxiv`, `pubmed`,
 * `openalex`, `semanticScholar`, `europePmc`, `stackExchange`, `huggingFace`,
 * `webPage`, `localFiles`. Adding an adapter is one module plus one entry here.
 */

/** Options a source is created with: the common remote options plus the adapter's own. */
export type SourceFactoryOptions = RemoteSourceOptions & Record<string, unknown>;

/** A registered kind of source. */
export interface SourceDefinition {
  /** The id used in config (`type`) and stored on source rows. */
  id: string;
  /** One line: what it searches and what text it returns. */
  description: string;
  /** How its licences are determined (for `synthforge sources list`). */
  licenceNotes: string;
  /** True for sources that reach a public API over HTTP. */
  remote: boolean;
  /** Environment variables it reads (API keys, tokens). */
  env?: string[];
  /** The published rate limit it keeps to. */
  rateLimit?: string;
  /** Adapter-specific options (validated before {@link create}); omit for none. */
  options?: z.ZodType<Record<string, unknown>>;
  /** Creates an adapter. */
  create(options: SourceFactoryOptions): SourceAdapter;
}

const registry = new Map<string, SourceDefinition>();

/**
 * Registers a kind of source. Registering an id twice throws unless `replace` is set
 * (hosts replacing a built-in adapter say so explicitly).
 */
export function registerSource(def: SourceDefinition, opts: { replace?: boolean } = {}): void {
  if (registry.has(def.id) && !opts.replace) {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `A source with id "${def.id}" is already registered; pass { replace: true } to replace it.`,
    );
  }
  registry.set(def.id, def);
  // Config files may now name it: `sources: [{ type: <id> }]`.
  if (!["corpus", "localFiles", "mcp"].includes(def.id)) registerSourceTypeName(def.id);
}

/** Every registered kind of source, in registration order. */
export function listSources(): SourceDefinition[] {
  return [...registry.values()];
}

/** The definition of a source id, or undefined. */
export function getSourceDefinition(id: string): SourceDefinition | undefined {
  return registry.get(id);
}

const commonOptions = z
  .object({
    baseUrl: z.string().url().optional(),
    limit: z.number().int().min(1).max(100).optional(),
    passagesPerDocument: z.number().int().min(1).max(50).optional(),
    id: z.string().min(1).optional(),
  })
  .passthrough();

/**
 * Creates a source by id. Options are validated (common ones and the adapter's own);
 * the `http` client is passed through untouched. `definition` creates from a definition
 * that is not in this registry (a pipeline's own registry).
 *
 * @throws SynthforgeError `CONFIG_INVALID` for an unknown id or an invalid option.
 */
export function createSource(
  id: string,
  options: SourceFactoryOptions = {},
  definition?: SourceDefinition,
): SourceAdapter {
  const def = definition ?? registry.get(id);
  if (!def) {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Unknown source "${id}". Known sources: ${[...registry.keys()].join(", ")}.`,
    );
  }
  const { http, ...rest } = options;
  const common = commonOptions.safeParse(rest);
  if (!common.success) throw invalid(id, common.error);
  const { baseUrl, limit, passagesPerDocument, id: customId, ...own } = common.data;
  let ownParsed: Record<string, unknown> = own;
  if (def.options) {
    const parsed = def.options.safeParse(own);
    if (!parsed.success) throw invalid(id, parsed.error);
    ownParsed = parsed.data;
  } else if (Object.keys(own).length > 0) {
    throw new SynthforgeError("CONFIG_INVALID", `Source "${id}" takes no option "${Object.keys(own)[0]}".`);
  }
  return def.create({
    ...ownParsed,
    ...(baseUrl ? { baseUrl } : {}),
    ...(limit ? { limit } : {}),
    ...(passagesPerDocument ? { passagesPerDocument } : {}),
    ...(customId ? { id: customId } : {}),
    ...(http ? { http } : {}),
  });
}

function invalid(id: string, error: z.ZodError): SynthforgeError {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join(".") : "(options)";
  return new SynthforgeError(
    "CONFIG_INVALID",
    `Source "${id}": option "${where}": ${issue?.message ?? "invalid"}.`,
  );
}

// ---------------------------------------------------------------------------
// Built-in sources

const strict = <T extends z.ZodRawShape>(shape: T) =>
  z.object(shape).strict() as unknown as z.ZodType<Record<string, unknown>>;

/** bioRxiv and medRxiv: one API (the details endpoint), one set of options. */
function rxivSource(
  id: string,
  server: string,
  create: (o: SourceFactoryOptions) => SourceAdapter,
): SourceDefinition {
  return {
    id,
    description: `${server} preprints (details API over a date interval, ranked locally): abstracts`,
    licenceNotes: "each preprint's license (cc_by, cc_by_nc_nd, cc_no, ...); empty strings stay unknown",
    remote: true,
    rateLimit: "1 request / s",
    options: strict({
      interval: z.string().optional(),
      pages: z.number().int().min(1).max(20).optional(),
      category: z.string().optional(),
    }),
    create,
  };
}

const BUILT_IN: SourceDefinition[] = [
  {
    id: "localFiles",
    description: "A local folder of md/txt/html notes, ranked with BM25",
    licenceNotes: "front matter licence, a LICENSE file beside or above, or the licence option; else unknown",
    remote: false,
    options: strict({
      dir: z.string().min(1),
      licence: z.string().optional(),
      ignore: z.array(z.string()).optional(),
    }),
    create: (o) =>
      localFilesSource({
        dir: String(o.dir),
        ...(o.licence ? { licence: String(o.licence) } : {}),
        ...(o.id ? { id: o.id } : {}),
        ...(o.passagesPerDocument ? { passagesPerDocument: o.passagesPerDocument } : {}),
        ...(Array.isArray(o.ignore) ? { ignore: o.ignore.map(String) } : {}),
      }),
  },
  {
    id: "corpus",
    description: "The bundled corpus of study notes (examples/corpus), used offline by default",
    licenceNotes: "CC-BY-4.0 (synthforge contributors)",
    remote: false,
    create: () => corpusSource(),
  },
  {
    id: "arxiv",
    description: "arXiv preprints (Atom API): abstracts",
    licenceNotes:
      "per paper from OAI-PMH metadata; arXiv's default non-exclusive distribution licence is not permissive; unknown when unreadable",
    remote: true,
    rateLimit: "1 request / 3 s",
    options: strict({
      licenceLookup: z.boolean().optional(),
      oaiUrl: z.string().url().optional(),
      category: z.string().optional(),
      sortBy: z.enum(["relevance", "lastUpdatedDate", "submittedDate"]).optional(),
    }),
    create: (o) => arxivSource(o),
  },
  {
    id: "wikipedia",
    description: "Wikipedia articles (Action API search + plain-text extracts, or REST summaries)",
    licenceNotes: "CC-BY-SA-4.0 (Wikimedia Terms of Use): permissive, share-alike",
    remote: true,
    rateLimit: "serial requests, 200 ms apart",
    options: strict({
      language: z
        .string()
        .regex(/^[a-z-]{2,12}$/)
        .optional(),
      extract: z.enum(["full", "intro", "summary"]).optional(),
    }),
    create: (o) => wikipediaSource(o),
  },
  {
    id: "huggingFace",
    description: "Hugging Face Hub dataset (or model) cards, optionally matching dataset rows",
    licenceNotes: "cardData.license, else a license:* tag; unknown when the card states none",
    remote: true,
    env: ["HF_TOKEN"],
    rateLimit: "300 ms between requests",
    options: strict({
      datasetsServerUrl: z.string().url().optional(),
      repoType: z.enum(["dataset", "model"]).optional(),
      rows: z.boolean().optional(),
      rowsPerDataset: z.number().int().min(1).max(100).optional(),
    }),
    create: (o) => huggingFaceSource(o),
  },
  {
    id: "semanticScholar",
    description: "Semantic Scholar Graph API papers: abstracts",
    licenceNotes:
      "openAccessPdf.license (CCBY, CCBYNCND, ...); unknown otherwise (isOpenAccess alone grants no reuse)",
    remote: true,
    env: ["SEMANTIC_SCHOLAR_API_KEY"],
    rateLimit: "1 request / s",
    options: strict({
      endpoint: z.enum(["relevance", "bulk", "match"]).optional(),
      openAccessOnly: z.boolean().optional(),
      year: z.string().optional(),
      fieldsOfStudy: z.string().optional(),
    }),
    create: (o) => semanticScholarSource(o),
  },
  {
    id: "pubmed",
    description: "PubMed abstracts (NCBI E-utilities esearch + efetch)",
    licenceNotes: "PMC Open Access subset licence (oa.fcgi) when the article is in it; otherwise unknown",
    remote: true,
    env: ["NCBI_API_KEY"],
    rateLimit: "3 requests / s (10 with NCBI_API_KEY)",
    options: strict({
      pmcLicences: z.boolean().optional(),
      oaServiceUrl: z.string().url().optional(),
      tool: z.string().optional(),
    }),
    create: (o) => pubmedSource(o),
  },
  {
    id: "europePmc",
    description: "Europe PMC (REST search, core results): abstracts",
    licenceNotes: "each record's license field (cc by, cc by-nc-nd, ...); unknown when absent",
    remote: true,
    rateLimit: "200 ms between requests",
    options: strict({ openAccessOnly: z.boolean().optional() }),
    create: (o) => europePmcSource(o),
  },
  rxivSource("biorxiv", "bioRxiv", biorxivSource),
  rxivSource("medrxiv", "medRxiv", medrxivSource),
  {
    id: "crossref",
    description: "Crossref works (REST API): JATS abstracts",
    licenceNotes: "license[] URL, version of record first; unknown when none",
    remote: true,
    rateLimit: "10 requests / s with a contact address (polite pool), 5 without",
    options: strict({ requireAbstract: z.boolean().optional() }),
    create: (o) => crossrefSource(o),
  },
  {
    id: "openalex",
    description: "OpenAlex works: abstracts rebuilt from the inverted index",
    licenceNotes: "primary_location.license, else best_oa_location / other locations; unknown when none",
    remote: true,
    env: ["OPENALEX_API_KEY"],
    rateLimit: "10 requests / s",
    options: strict({ openAccessOnly: z.boolean().optional() }),
    create: (o) => openalexSource(o),
  },
  {
    id: "stackExchange",
    description: "Stack Exchange questions and top answers (search/advanced with bodies)",
    licenceNotes: "CC BY-SA by post date: 2.5 before 2011-04-08, 3.0 until 2018-05-02, 4.0 after",
    remote: true,
    env: ["STACKEXCHANGE_KEY"],
    rateLimit: "30 requests / s; honours the API's backoff",
    options: strict({
      site: z.string().min(1).optional(),
      answersPerQuestion: z.number().int().min(0).max(10).optional(),
    }),
    create: (o) => stackExchangeSource(o),
  },
  {
    id: "github",
    description: "GitHub repository search (description, README with a token) or code search",
    licenceNotes: "the repository's detected licence (license.spdx_id); NOASSERTION and none stay unknown",
    remote: true,
    env: ["GITHUB_TOKEN"],
    rateLimit: "search 10/min (30 with a token); core API 60/h (5000 with a token)",
    options: strict({ kind: z.enum(["repositories", "code"]).optional(), readme: z.boolean().optional() }),
    create: (o) => githubSource(o),
  },
  {
    id: "plos",
    description: "PLOS articles (Solr search API): abstracts",
    licenceNotes: "CC-BY-4.0 (PLOS publishes under CC BY; not stated per article by the API)",
    remote: true,
    rateLimit: "10 requests / min",
    create: (o) => plosSource(o),
  },
  {
    id: "doaj",
    description: "DOAJ open-access journal articles: abstracts",
    licenceNotes: "the article's bibjson.license, else its journal's DOAJ licence",
    remote: true,
    rateLimit: "2 requests / s",
    options: strict({ searchPath: z.string().startsWith("/").optional() }),
    create: (o) => doajSource(o),
  },
  {
    id: "core",
    description: "CORE open-access research outputs (works search): abstracts",
    licenceNotes: "only when a record states one; usually unknown",
    remote: true,
    env: ["CORE_API_KEY"],
    rateLimit: "10 requests / min",
    options: strict({ apiVersion: z.enum(["v3", "v2"]).optional() }),
    create: (o) => coreSource(o),
  },
  {
    id: "pubchem",
    description: "PubChem PUG REST compound facts (computed properties) and deposited descriptions",
    licenceNotes:
      "computed properties: public domain (NCBI); deposited descriptions: unknown (set by each depositor)",
    remote: true,
    rateLimit: "5 requests / s",
    options: strict({
      descriptions: z.boolean().optional(),
      maxLookups: z.number().int().min(1).max(20).optional(),
    }),
    create: (o) => pubchemSource(o),
  },
  {
    id: "chemrxiv",
    description: "ChemRxiv chemistry preprints (Open Engage public API): abstracts",
    licenceNotes: "each item's license (CC BY 4.0, CC BY NC ND 4.0, ...)",
    remote: true,
    rateLimit: "1 request / s",
    options: strict({ sort: z.string().optional() }),
    create: (o) => chemrxivSource(o),
  },
  {
    id: "webPage",
    description:
      "Web pages: the query is a URL, or configured pages are ranked against the query (Readability main text)",
    licenceNotes:
      'what the page states: rel="license", dc.rights, JSON-LD license, Creative Commons badge; unknown otherwise',
    remote: true,
    rateLimit: "1 request / s per host",
    options: strict({ urls: z.array(z.string().min(1)).optional(), respectRobots: z.boolean().optional() }),
    create: (o) => webPageSource(o),
  },
];

for (const def of BUILT_IN) registerSource(def);

/**
 * The public catalogues research searches by default when a model key is set and no
 * source is configured: Wikipedia plus the catalogues of each domain (arXiv and Semantic
 * Scholar for physics, maths and computing; PubMed and Europe PMC for medicine and
 * biology; PubChem and ChemRxiv for chemistry; Stack Exchange for code; OpenAlex and
 * Crossref for everything else). Research then uses the ones that suit the plan's domain
 * (`sources/selection.ts`, `DEFAULT_DOMAIN_SOURCES`).
 */
export const GROUNDING_SOURCE_IDS: readonly string[] = [
  "wikipedia",
  "arxiv",
  "semanticScholar",
  "pubmed",
  "europePmc",
  "plos",
  "pubchem",
  "chemrxiv",
  "stackExchange",
  "openalex",
  "crossref",
];

/**
 * The default grounding sources ({@link GROUNDING_SOURCE_IDS}) as adapters. `baseUrls`
 * points adapters at another server (by id, or `*` for all), e.g. a recorded-response
 * server in tests.
 */
export function createGroundingSources(
  opts: { http?: SourceFactoryOptions["http"]; baseUrls?: Record<string, string> } = {},
): SourceAdapter[] {
  return GROUNDING_SOURCE_IDS.map((id) => {
    const baseUrl = opts.baseUrls?.[id] ?? opts.baseUrls?.["*"];
    return createSource(id, { ...(opts.http ? { http: opts.http } : {}), ...(baseUrl ? { baseUrl } : {}) });
  });
}
