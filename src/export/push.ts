/**
 * Uploads a Hugging Face dataset folder (Parquet shards, card, licence ledger) to the Hub
 * with `@huggingface/hub`: creates the dataset repository when it is missing, then puts
 * every file in one commit (large and binary files through LFS; files the Hub already
 * holds are not sent again, so a push that failed half way is resumed by running it again).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { SynthforgeError } from "../core/errors.js";
import type { Store } from "../storage/store.js";
import { exportHfDataset, type HfDatasetOptions, type HfDatasetResult } from "./hf-dataset.js";

/** The public Hub. */
export const HUB_URL = "https://huggingface.co";

/** Options of {@link pushDataset}. */
export interface PushOptions {
  /** The dataset repository, `user/name` or `org/name`. */
  repo: string;
  /** Create the repository as private (a repository that exists keeps its visibility). */
  private?: boolean;
  /** The access token (needs write access). Default: the environment variable `tokenEnv`. */
  token?: string;
  /** Environment variable holding the token. Default `HF_TOKEN`. */
  tokenEnv?: string;
  /** Hub endpoint: a self-hosted Hub or a test server. Default https://huggingface.co. */
  hubUrl?: string;
  /** Commit title. Default "Upload dataset with synthforge". */
  commitTitle?: string;
  /** Progress: phases and files as they are uploaded. */
  onProgress?: (event: PushProgress) => void;
}

/** A progress event of a push. */
export type PushProgress =
  | { kind: "repo"; created: boolean; url: string }
  | { kind: "phase"; phase: "preuploading" | "uploadingLargeFiles" | "committing" }
  | { kind: "uploaded"; path: string };

/** One file of a push. */
export interface PushedFile {
  /** Path in the repository (`data/train-00000-of-00001.parquet`). */
  path: string;
  size: number;
}

/** What a push did. */
export interface PushResult {
  repo: string;
  /** The dataset's page on the Hub. */
  url: string;
  /** True when the push created the repository. */
  created: boolean;
  commit: { oid: string; url: string };
  files: PushedFile[];
  /** Shards of an earlier push that this commit removed (they are no longer in the folder). */
  deleted: string[];
}

const REPO_NAME = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;
/** Shard files a dataset export writes; remote ones missing locally are removed by the commit. */
const SHARD_FILE = /^data\/[A-Za-z][A-Za-z0-9_]*-\d{5}-of-\d{5}\.(?:parquet|jsonl)$/;

/**
 * The files of a dataset folder to upload, relative paths with `/`: everything except
 * dot-files and dot-folders (`.git`, temporary folders), but `.gitattributes` is kept.
 *
 * @throws SynthforgeError `INPUT_FILE_INVALID` when the folder is missing or is not a
 *   dataset folder (no `README.md` card, no `data/` shards).
 */
export function datasetFiles(dir: string): PushedFile[] {
  const root = resolve(dir);
  try {
    if (!statSync(root).isDirectory()) throw new Error("not a folder");
  } catch {
    throw new SynthforgeError(
      "INPUT_FILE_INVALID",
      `${dir} is not a folder; give a dataset folder written by \`synthforge export --hf <dir>\`, or --run <id>.`,
    );
  }
  const out: PushedFile[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith(".") && e.name !== ".gitattributes") continue;
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile())
        out.push({ path: relative(root, full).split(sep).join("/"), size: statSync(full).size });
    }
  };
  walk(root);
  out.sort((a, b) => a.path.localeCompare(b.path));
  if (!out.some((f) => f.path === "README.md") || !out.some((f) => f.path.startsWith("data/")))
    throw new SynthforgeError(
      "INPUT_FILE_INVALID",
      `${dir} is not a dataset folder (it needs a README.md card and data/ shards); write one with \`synthforge export --hf ${dir}\`.`,
    );
  return out;
}

/** What the push was doing, for error messages. */
interface Doing {
  action: string;
  /** True once files are being sent. */
  uploading?: boolean;
}

/**
 * Turns whatever `@huggingface/hub` or `fetch` threw into a one-line `SynthforgeError`,
 * with the token removed from it.
 */
function hubError(
  e: unknown,
  ctx: { hub: string; repo: string; tokenEnv: string; token: string },
  doing: Doing,
) {
  const scrub = (s: string) => (ctx.token.length >= 4 ? s.split(ctx.token).join("[redacted]") : s);
  const host = (() => {
    try {
      return new URL(ctx.hub).host;
    } catch {
      return ctx.hub;
    }
  })();
  if (e instanceof SynthforgeError) return e;
  const err = e as {
    name?: string;
    statusCode?: number;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  const first = scrub(String(err?.message ?? e).split("\n")[0]!).replace(/\. URL: .*$/, "");
  if (typeof err?.statusCode === "number") {
    const status = err.statusCode;
    if (status === 401)
      return new SynthforgeError(
        "HUB_AUTH_FAILED",
        `The Hub at ${host} refused the token in ${ctx.tokenEnv} (401 Unauthorized) while ${doing.action}: check that it is a valid, unexpired access token.`,
        { details: { status } },
      );
    if (status === 403)
      return new SynthforgeError(
        "HUB_AUTH_FAILED",
        `The Hub at ${host} did not allow ${doing.action} (403 Forbidden: ${first}); the token in ${ctx.tokenEnv} needs write access to ${ctx.repo}.`,
        { details: { status } },
      );
    return new SynthforgeError(
      "HUB_REQUEST_FAILED",
      `The Hub at ${host} answered ${status} while ${doing.action}: ${first}.`,
      { details: { status } },
    );
  }
  const cause = err?.cause?.code ?? err?.cause?.message ?? first;
  const network =
    err?.name === "AbortError" ||
    (err?.name === "TypeError" && /fetch failed|network|socket|terminated/i.test(String(err.message))) ||
    typeof err?.cause?.code === "string";
  if (network)
    return new SynthforgeError(
      "HUB_UNREACHABLE",
      doing.uploading
        ? `The connection to ${host} dropped while ${doing.action} (${scrub(String(cause))}); run the same push again: files the Hub already has are not sent twice.`
        : `Cannot reach the Hub at ${host} while ${doing.action} (${scrub(String(cause))}); check --hub-url and the network, then push again.`,
    );
  return new SynthforgeError(
    "HUB_REQUEST_FAILED",
    `Pushing to ${host} failed while ${doing.action}: ${first}.`,
  );
}

/**
 * Uploads a dataset folder (written by {@link exportHfDataset}) to a Hub dataset
 * repository in one commit: checks the token (`whoami`), creates the repository when it
 * is missing (one that exists is used when it belongs to the token's user or one of
 * their organisations), uploads the large files through LFS (multipart for big ones;
 * objects the Hub already holds are skipped, which makes a failed push resumable), and
 * commits every file, removing shards of an earlier push that the folder no longer has.
 * The token is never logged nor put into an error.
 *
 * @throws SynthforgeError `INVALID_REQUEST` (bad repository name or Hub URL),
 *   `INPUT_FILE_INVALID` (not a dataset folder), `HUB_AUTH_FAILED` (no token, 401, 403),
 *   `HUB_REPO_CONFLICT` (the name is taken by someone else), `HUB_UNREACHABLE` (the
 *   connection failed or dropped: run it again) or `HUB_REQUEST_FAILED`.
 */
export async function pushDataset(dir: string, opts: PushOptions): Promise<PushResult> {
  const { hubUrl, tokenEnv, token } = checkPushOptions(opts);
  const files = datasetFiles(dir);
  const hub = await import("@huggingface/hub");
  const repoName = opts.repo;
  const repo = { type: "dataset" as const, name: repoName };
  const ctx = { hub: hubUrl, repo: repoName, tokenEnv, token };
  const doing: Doing = { action: "checking the token" };
  try {
    const who = (await hub.whoAmI({ accessToken: token, hubUrl })) as {
      name: string;
      orgs?: Array<{ name: string }>;
    };
    const mine = new Set([who.name, ...(who.orgs ?? []).map((o) => o.name)]);
    const namespace = repoName.split("/")[0]!;
    doing.action = `creating the dataset ${repoName}`;
    let created = true;
    try {
      await hub.createRepo({
        repo,
        accessToken: token,
        hubUrl,
        ...(opts.private !== undefined ? { private: opts.private } : {}),
      });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 409) throw e;
      if (!mine.has(namespace))
        throw new SynthforgeError(
          "HUB_REPO_CONFLICT",
          `The dataset ${repoName} already exists and belongs to "${namespace}", not to ${who.name}${mine.size > 1 ? ` or their organisations` : ""}: choose another --repo (e.g. ${who.name}/${repoName.split("/")[1]}).`,
          { details: { repo: repoName } },
        );
      created = false;
    }
    const url = `${hubUrl.replace(/\/+$/, "")}/datasets/${repoName}`;
    opts.onProgress?.({ kind: "repo", created, url });

    // Shards of an earlier push that are not in the folder any more go in the same commit.
    const deleted: string[] = [];
    if (!created) {
      doing.action = `listing the files of ${repoName}`;
      const local = new Set(files.map((f) => f.path));
      try {
        for await (const f of hub.listFiles({
          repo,
          path: "data",
          recursive: true,
          accessToken: token,
          hubUrl,
        })) {
          if (f.type === "file" && SHARD_FILE.test(f.path) && !local.has(f.path)) deleted.push(f.path);
        }
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 404) throw e;
      }
    }

    doing.action = "preparing the upload";
    const iter = hub.commitIter({
      repo,
      accessToken: token,
      hubUrl,
      title: opts.commitTitle ?? "Upload dataset with synthforge",
      description: `${files.length} files, pushed by synthforge.`,
      operations: [
        ...files.map((f) => ({
          operation: "addOrUpdate" as const,
          path: f.path,
          content: pathToFileURL(join(resolve(dir), f.path)),
        })),
        ...deleted.map((path) => ({ operation: "delete" as const, path })),
      ],
    });
    const done = new Set<string>();
    let r = await iter.next();
    while (!r.done) {
      const ev = r.value;
      if (ev.event === "phase") {
        doing.action =
          ev.phase === "preuploading"
            ? "preparing the upload"
            : ev.phase === "uploadingLargeFiles"
              ? "uploading the large files"
              : `committing to ${repoName}`;
        if (ev.phase !== "preuploading") doing.uploading = true;
        opts.onProgress?.({ kind: "phase", phase: ev.phase });
      } else if (ev.state === "uploading") {
        if (ev.progress < 1) doing.action = `uploading ${ev.path}`;
        else if (!done.has(ev.path)) {
          done.add(ev.path);
          opts.onProgress?.({ kind: "uploaded", path: ev.path });
        }
      }
      r = await iter.next();
    }
    const out = r.value;
    return {
      repo: repoName,
      url,
      created,
      commit: { oid: out?.commit.oid ?? "", url: out?.commit.url ?? "" },
      files,
      deleted,
    };
  } catch (e) {
    throw hubError(e, ctx, doing);
  }
}

/** Checks the repository name, the Hub URL and the token before any request. */
function checkPushOptions(opts: PushOptions): { hubUrl: string; tokenEnv: string; token: string } {
  if (!REPO_NAME.test(opts.repo) || opts.repo.includes(".."))
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--repo ${JSON.stringify(opts.repo)} is not a Hub repository name; use user/name or org/name (letters, digits, -, _ and .).`,
    );
  const hubUrl = (opts.hubUrl ?? HUB_URL).replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(hubUrl);
  } catch {
    throw new SynthforgeError("INVALID_REQUEST", `--hub-url ${JSON.stringify(opts.hubUrl)} is not a URL.`);
  }
  if (!/^https?:$/.test(parsed.protocol))
    throw new SynthforgeError("INVALID_REQUEST", `--hub-url must be an http(s) URL, got ${parsed.protocol}.`);
  const tokenEnv = opts.tokenEnv ?? "HF_TOKEN";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv))
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--token-env ${JSON.stringify(tokenEnv)} is not an environment variable name.`,
    );
  const token = (opts.token ?? process.env[tokenEnv] ?? "").trim();
  if (!token)
    throw new SynthforgeError(
      "HUB_AUTH_FAILED",
      `${tokenEnv} is not set: create a write token at https://huggingface.co/settings/tokens and put it in ${tokenEnv} (or name another variable with --token-env).`,
    );
  // @huggingface/hub refuses anything else before sending it.
  if (!token.startsWith("hf_"))
    throw new SynthforgeError(
      "HUB_AUTH_FAILED",
      `The value of ${tokenEnv} is not a Hub access token (they start with hf_); create one at https://huggingface.co/settings/tokens.`,
    );
  return { hubUrl, tokenEnv, token };
}

/** Options of {@link pushRun}: the push, plus how the run is exported first. */
export type PushRunOptions = PushOptions & Omit<HfDatasetOptions, "dir">;

/**
 * Exports a run as a Hugging Face dataset folder (in a temporary folder, removed
 * afterwards) and pushes it with {@link pushDataset}. The push options are checked before
 * the export.
 */
export async function pushRun(
  store: Store,
  runRef: string,
  opts: PushRunOptions,
): Promise<PushResult & { export: HfDatasetResult }> {
  checkPushOptions(opts);
  const dir = mkdtempSync(join(tmpdir(), "synthforge-push-"));
  try {
    const { repo, private: priv, token, tokenEnv, hubUrl, commitTitle, onProgress, ...exportOpts } = opts;
    const exported = await exportHfDataset(store, runRef, { ...exportOpts, dir });
    const pushed = await pushDataset(dir, {
      repo,
      ...(priv !== undefined ? { private: priv } : {}),
      ...(token !== undefined ? { token } : {}),
      ...(tokenEnv !== undefined ? { tokenEnv } : {}),
      ...(hubUrl !== undefined ? { hubUrl } : {}),
      ...(commitTitle !== undefined ? { commitTitle } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return { ...pushed, export: exported };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
