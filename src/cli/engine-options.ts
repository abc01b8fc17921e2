/** Flags of the engine (cache, Gemini Batch API) shared by generate, resume, retry-failed and worker. */
export interface EngineFlags {
  /** `--no-cache` sets false (commander's negated option). */
  cache?: boolean;
  /** `--batch`: bulk generation and review through the Gemini Batch API. */
  batch?: boolean;
}

/**
 * The pipeline options the engine flags and the config ask for (the library's
 * `engineOptions`, in src/pipeline/config-options.ts).
 */
export { engineOptions } from "../pipeline/config-options.js";
