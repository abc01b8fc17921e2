import type { SynthforgeConfig } from "../core/config.js";
import type { PipelineOptions } from "../pipeline/pipeline.js";

/** Flags of the engine (cache, Gemini Batch API) shared by generate, resume, retry-failed and worker. */
export interface EngineFlags {
  /** `--no-cache` sets false (commander's negated option). */
  cache?: boolean;
  /** `--batch`: bulk generation and review through the Gemini Batch API. */
  batch?: boolean;
}

/** The pipeline options the engine flags and the config ask for. */
export function engineOptions(
  flags: EngineFlags,
  config: SynthforgeConfig,
): Pick<PipelineOptions, "cache" | "batch"> {
  const out: Pick<PipelineOptions, "cache" | "batch"> = {};
  if (flags.cache === false) out.cache = false;
  else if (config.cache !== undefined) out.cache = config.cache;
  if (flags.batch) out.batch = { ...config.batch };
  return out;
}
