import type * as AdkTypes from "@google/adk";
import { lazy, lazyClass, loadPackageFile, loadSync } from "../core/load.js";

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
  // ADK's entry adds what synthforge never uses (database and Vertex AI sessions, GCS and
  // file artifacts, skills, telemetry exporters, MCP tools, A2A), and with them MikroORM,
  // Vertex AI and OpenTelemetry's SDKs: 100 MB of resident memory against 60 MB for its
  // common module, which holds every class synthforge uses. The entry re-exports that
  // module, so a host that imports `@google/adk` gets the very same classes.
  const a =
    loadPackageFile<Adk>("@google/adk", { esm: "dist/esm/common.js", commonJs: "dist/cjs/common.js" }) ??
    loadSync<Adk>("@google/adk");
  a.setLogLevel(a.LogLevel.WARN);
  return a;
});

/** ADK's `BaseLlm`, loaded when the first model is made. */
export const BaseLlm = lazyClass(() => adk().BaseLlm);
export type BaseLlm = AdkTypes.BaseLlm;

/** ADK's `Gemini` model, loaded when the first one is made. */
export const Gemini = lazyClass(() => adk().Gemini);
export type Gemini = AdkTypes.Gemini;
