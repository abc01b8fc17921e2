import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { localFilesSource } from "./local-files.js";
import type { SourceAdapter } from "./types.js";

/**
 * The folder of the bundled corpus (`examples/corpus/` of the package): short study
 * notes written for synthforge, CC-BY-4.0, "synthforge contributors".
 */
export function bundledCorpusDir(): string {
  // Works from src/ (tests), dist/ (built package) and the CJS build alike.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "examples", "corpus");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples", "corpus");
}

/** The bundled corpus as a source (adapter id `corpus`). Used offline by default. */
export function corpusSource(): SourceAdapter {
  return localFilesSource({
    dir: bundledCorpusDir(),
    id: "corpus",
    licence: "CC-BY-4.0",
    ignore: ["README.md"],
  });
}
