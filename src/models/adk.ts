import type * as AdkTypes from "@google/adk";
import { lazy, lazyClass, loadSync } from "../core/load.js";

/**
 * `@google/adk`, loaded on first use (it takes seconds to evaluate): the ADK classes our
 * models extend are stand-ins until the first model is made (see `lazyClass`).
 */
export type Adk = typeof AdkTypes;

/**
 * Loads ADK (once) and sets its log level to WARN, as importing synthforge did before ADK
 * was loaded lazily (ADK logs every request at INFO, on stdout).
 */
export const adk: () => Adk = lazy(() => {
  const a = loadSync<Adk>("@google/adk");
  a.setLogLevel(a.LogLevel.WARN);
  return a;
});

/** ADK's `BaseLlm`, loaded when the first model is made. */
export const BaseLlm = lazyClass(() => adk().BaseLlm);
export type BaseLlm = AdkTypes.BaseLlm;

/** ADK's `Gemini` model, loaded when the first one is made. */
export const Gemini = lazyClass(() => adk().Gemini);
export type Gemini = AdkTypes.Gemini;
