import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

describe("the API reference (typedoc)", () => {
  it("builds with no warnings, by concept, for the main entry, synthforge/testing and synthforge/internals", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-docs-"));
    const json = join(dir, "api.json");
    // Both outputs go to the temporary folder (the configured one is docs/api).
    const r = spawnSync(
      process.execPath,
      [
        join(root, "node_modules", "typedoc", "bin", "typedoc"),
        "--treatWarningsAsErrors",
        "--out",
        join(dir, "html"),
        "--json",
        json,
      ],
      { cwd: root, encoding: "utf8" },
    );
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\[warning\]/);
    const project = JSON.parse(readFileSync(json, "utf8")) as {
      children: Array<{ name: string; categories?: Array<{ title: string; children: number[] }> }>;
    };
    const modules = Object.fromEntries(project.children.map((m) => [m.name, m]));
    expect(Object.keys(modules).sort()).toEqual(["synthforge", "synthforge/internals", "synthforge/testing"]);
    // Every export of the main entry sits in one of its sections (none in "Other").
    const titles = modules.synthforge!.categories!.map((c) => c.title);
    expect(titles).toEqual([
      "Pipeline",
      "Configuration and plugins",
      "Models",
      "Agents",
      "Sources and licences",
      "Storage",
      "Training types and formats",
      "Review and verifiers",
      "Export and publishing",
      "Studio",
      "Core",
    ]);
    for (const m of Object.values(modules)) expect(m.categories?.map((c) => c.title)).not.toContain("Other");
  });
});
