import type { Command } from "commander";
import { loadConfig } from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import type { PushProgress, PushResult } from "../export/push.js";
import { openStore } from "../storage/typeorm-store.js";
import type { CliIO } from "./progress.js";
import { mustExist } from "./run-options.js";
import { type CommonFlags, dbTarget } from "./settings.js";

interface PushFlags extends CommonFlags {
  run?: string;
  repo?: string;
  private?: boolean;
  tokenEnv?: string;
  hubUrl?: string;
  format?: string;
  json?: boolean;
}

const mb = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

/**
 * `synthforge push <hf-folder | --run id> --repo user/name`: uploads a dataset folder
 * (or a run, exported to a temporary folder first) to the Hugging Face Hub in one commit.
 * Progress goes to standard error; the token is read from `--token-env` (default HF_TOKEN)
 * and never printed.
 */
export async function pushCmd(dir: string | undefined, flags: PushFlags, io: CliIO): Promise<number> {
  if (!flags.repo)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "push needs --repo user/name (the Hub dataset to upload to).",
    );
  if (dir && flags.run)
    throw new SynthforgeError("INVALID_REQUEST", "push takes a dataset folder or --run <id>, not both.");
  if (!dir && !flags.run)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "push needs a dataset folder (written by `synthforge export --hf <dir>`) or --run <id|latest>.",
    );
  if (flags.format && !flags.run)
    throw new SynthforgeError("INVALID_REQUEST", "--format applies to --run; a folder is pushed as it is.");
  const { pushDataset, pushRun } = await import("../export/push.js");
  const opts = {
    repo: flags.repo,
    ...(flags.private ? { private: true } : {}),
    ...(flags.tokenEnv ? { tokenEnv: flags.tokenEnv } : {}),
    ...(flags.hubUrl ? { hubUrl: flags.hubUrl } : {}),
    onProgress: (e: PushProgress) => {
      if (e.kind === "repo")
        io.err(
          e.created
            ? `created the dataset ${flags.repo}${flags.private ? " (private)" : ""}: ${e.url}`
            : `the dataset ${flags.repo} exists; adding a commit${flags.private ? " (its visibility is left as it is)" : ""}`,
        );
      else if (e.kind === "phase")
        io.err(
          e.phase === "preuploading"
            ? "checking which files go through LFS"
            : e.phase === "uploadingLargeFiles"
              ? "uploading large files (LFS)"
              : "committing",
        );
      else io.err(`  uploaded ${e.path}`);
    },
  };
  let res: PushResult;
  if (dir) res = await pushDataset(dir, opts);
  else {
    const { config } = loadConfig(flags.config);
    const store = openStore(dbTarget(flags, config));
    mustExist(store);
    try {
      await store.init();
      const r = await pushRun(store, flags.run!, {
        ...opts,
        ...(flags.format ? { format: flags.format } : {}),
      });
      io.err(
        `exported run ${r.export.runId}: ${r.export.rows} ${r.export.trainingType} example(s) as ${r.export.format}`,
      );
      res = r;
    } finally {
      await store.close().catch(() => undefined);
    }
  }
  const size = res.files.reduce((a, f) => a + f.size, 0);
  io.out(
    `pushed ${res.files.length} file(s) (${mb(size)}) to ${res.url} in commit ${res.commit.oid.slice(0, 7)}${res.deleted.length ? `, removing ${res.deleted.length} old shard(s)` : ""}`,
  );
  if (flags.json) io.out(JSON.stringify(res));
  return 0;
}

/** Registers `synthforge push`. */
export function registerPushCommand(program: Command, io: CliIO, setCode: (code: number) => void): void {
  program
    .command("push")
    .description(
      "Upload a Hugging Face dataset folder (Parquet shards, card, attribution) to the Hub in one commit",
    )
    .argument("[dir]", "dataset folder written by `synthforge export --hf <dir>`")
    .option("--run <id>", "export this run (or latest) to a temporary folder and push that instead")
    .option("--repo <user/name>", "the Hub dataset repository (created when missing)")
    .option("--private", "create the repository as private")
    .option("--token-env <name>", "environment variable holding the Hub token", "HF_TOKEN")
    .option("--hub-url <url>", "Hub endpoint (self-hosted or a test server)", "https://huggingface.co")
    .option("-f, --format <format>", "with --run: export format (default: the type's primary one)")
    .option("--db <path|url>", "with --run: SQLite file or postgres:// URL")
    .option("-c, --config <file>", "config file")
    .option("--json", "print a machine-readable result as the last line")
    .action(async (dir: string | undefined, flags: PushFlags) => setCode(await pushCmd(dir, flags, io)));
}
