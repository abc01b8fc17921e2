import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layering of DESIGN §3, enforced: a module may import only from its own layer or
 * the layers below it. Domain modules (training types, sources) may use tools.
 */
const RANK: Record<string, number> = {
  core: 0,
  storage: 1,
  models: 2,
  tools: 3,
  "training-types": 3.5,
  sources: 3.5,
  agents: 4,
  pipeline: 5,
  testing: 5.5,
  // The studio (a local web app) serves the pipeline's data; the CLI starts it.
  studio: 5.7,
  cli: 6,
  mcp: 6,
  ui: 6,
};

const SRC = resolve(import.meta.dirname, "..", "src");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function layerOf(path: string): string {
  return relative(SRC, path).split(sep)[0]!;
}

const imports = files(SRC).flatMap((file) => {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm,
    ),
  ].map((m) => m[1] ?? m[2] ?? m[3]!);
  return specs.map((spec) => ({ file, spec }));
});

describe("architecture", () => {
  it("finds the layers", () => {
    const layers = new Set(files(SRC).map(layerOf));
    for (const l of ["core", "storage", "models", "training-types", "sources", "agents", "pipeline", "cli"])
      expect(layers).toContain(l);
    expect(imports.length).toBeGreaterThan(100);
  });

  it("lower layers never import higher ones", () => {
    const violations: string[] = [];
    for (const { file, spec } of imports) {
      if (!spec.startsWith(".")) continue;
      const from = layerOf(file);
      const to = layerOf(resolve(dirname(file), spec));
      if (from.endsWith(".ts") || to.endsWith(".ts")) continue; // src/index.ts re-exports everything
      const a = RANK[from];
      const b = RANK[to];
      if (a === undefined || b === undefined)
        violations.push(`${relative(SRC, file)}: unknown layer in ${from} → ${to}`);
      else if (b > a) violations.push(`${relative(SRC, file)} (${from}) imports ${spec} (${to})`);
    }
    expect(violations).toEqual([]);
  });

  it("only storage touches the database drivers; the pipeline never touches a provider SDK", () => {
    const bad: string[] = [];
    for (const { file, spec } of imports) {
      const layer = layerOf(file);
      if (/^(typeorm|pg)$/.test(spec) && layer !== "storage")
        bad.push(`${relative(SRC, file)} imports ${spec}`);
      // The SQL verifier runs users' queries in an in-memory SQLite of its own.
      if (spec === "better-sqlite3" && !["storage", "tools"].includes(layer))
        bad.push(`${relative(SRC, file)} imports ${spec}`);
      if (/^@google\/genai$/.test(spec) && !["models"].includes(layer))
        bad.push(`${relative(SRC, file)} imports ${spec}`);
    }
    expect(bad).toEqual([]);
  });
});
