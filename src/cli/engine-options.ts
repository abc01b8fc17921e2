import type { SynthforgeConfig } from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import type { PipelineOptions } from "../pipeline/pipeline.js";

/** Flags of the engine (cache, Gemini Batch API) shared by generate, resume, retry-failed and worker. */
export interface EngineFlags {
  /** `--no-cache` sets false (commander's negated option). */
  cache?: boolean;
  /** `--batch`: bulk generation and review through the Gemini Batch API. */
  batch?: boolean;
}

/**
 * The pipeline options the engine flags and the config ask for.
 *
 * `--batch` needs the response cache (a batch job's answers reach their candidates, and a
 * restarted run, through it), so it is refused together with `--no-cache` or with
 * `cache: false` in the config, instead of turning the cache back on behind the user's back.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for `--batch` with `--no-cache`;
 *   `CONFIG_INVALID` for `--batch` with `cache: false` in the config.
 */
export function engineOptions(
  flags: EngineFlags,
  config: SynthforgeConfig,
): Pick<PipelineOptions, "cache" | "batch"> {
  if (flags.batch && flags.cache === false) {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "--batch cannot be used with --no-cache: Batch API answers reach the run through the response cache; drop one of the two.",
    );
  }
  if (flags.batch && config.cache === false) {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      "--batch cannot be used with `cache: false` in the config: Batch API answers reach the run through the response cache; remove that setting or drop --batch.",
    );
  }
  const out: Pick<PipelineOptions, "cache" | "batch"> = {};
  if (flags.cache === false) out.cache = false;
  else if (config.cache !== undefined) out.cache = config.cache;
  if (flags.batch) out.batch = { ...config.batch };
  return out;
}
