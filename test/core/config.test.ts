import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/core/config.js";

const dir = () => mkdtempSync(join(tmpdir(), "sf-config-"));

describe("loadConfig", () => {
  it("returns an empty config when there is no file", () => {
    expect(loadConfig(undefined, dir())).toEqual({ config: {}, path: null });
  });

  it("reads synthforge.config.yaml from the folder", () => {
    const d = dir();
    writeFileSync(
      join(d, "synthforge.config.yaml"),
      "db: ./x.db\nmodels:\n  generation: gemini-2.5-pro\nconcurrency: 4\n",
    );
    const { config, path } = loadConfig(undefined, d);
    expect(path).toBe(join(d, "synthforge.config.yaml"));
    expect(config).toEqual({ db: "./x.db", models: { generation: "gemini-2.5-pro" }, concurrency: 4 });
  });

  it("names the file and the field for invalid values", () => {
    const d = dir();
    writeFileSync(join(d, "bad.yaml"), "concurrency: lots\n");
    expect(() => loadConfig("bad.yaml", d)).toThrow(/bad\.yaml: field "concurrency"/);
    writeFileSync(join(d, "typo.yaml"), "modles:\n  generation: x\n");
    expect(() => loadConfig("typo.yaml", d)).toThrow(/CONFIG|modles|Unrecognized/i);
  });

  it("checks each source entry by its type; an adapter id passes while no adapter is registered", () => {
    // This file never loads the source registry (as `synthforge export` does not): the id is
    // checked when the source is created, and the entry's own fields are still checked here.
    const d = dir();
    writeFileSync(join(d, "ok.yaml"), "sources:\n  - type: arxiv\n    limit: 5\n  - type: corpus\n");
    expect(loadConfig("ok.yaml", d).config.sources).toEqual([
      { type: "arxiv", limit: 5 },
      { type: "corpus" },
    ]);
    writeFileSync(join(d, "limit.yaml"), "sources:\n  - type: arxiv\n    limit: 500\n");
    expect(() => loadConfig("limit.yaml", d)).toThrow(/field "sources\.0\.limit"/);
    writeFileSync(join(d, "dir.yaml"), "sources:\n  - type: localFiles\n");
    expect(() => loadConfig("dir.yaml", d)).toThrow(/field "sources\.0\.dir"/);
    writeFileSync(join(d, "mcp.yaml"), "sources:\n  - type: mcp\n    id: x\n    tool: t\n");
    expect(() => loadConfig("mcp.yaml", d)).toThrow(/either command \(\+ args\) or url/);
    writeFileSync(join(d, "none.yaml"), "sources:\n  - dir: ./notes\n");
    expect(() => loadConfig("none.yaml", d)).toThrow(/field "sources\.0\.type": a source needs a type/);
    writeFileSync(join(d, "proto.yaml"), "sources:\n  - type: constructor\n    dir: x\n");
    expect(() => loadConfig("proto.yaml", d)).toThrow(/field "sources\.0\.dir"|Unrecognized/);
  });

  it("rejects a corrupt YAML file with a one-line error", () => {
    const d = dir();
    writeFileSync(join(d, "corrupt.yaml"), "db: [unclosed\n  : :\n");
    let message = "";
    try {
      loadConfig("corrupt.yaml", d);
    } catch (e) {
      message = (e as Error).message;
      expect((e as { code: string }).code).toBe("CONFIG_INVALID");
    }
    expect(message).toMatch(/not valid YAML/);
    expect(message.split("\n")).toHaveLength(1);
  });

  it("rejects a missing file given by path", () => {
    expect(() => loadConfig("nope.yaml", dir())).toThrow(/does not exist/);
  });
});

describe("the README's example config", () => {
  it("is a valid config file with every section it shows", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Configuration"));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const d = dir();
    writeFileSync(join(d, "synthforge.config.yaml"), yaml!);
    const { config } = loadConfig(undefined, d);
    expect(Object.keys(config)).toEqual(
      expect.arrayContaining([
        "db",
        "models",
        "budget",
        "review",
        "sources",
        "research",
        "typeOptions",
        "licencePolicy",
      ]),
    );
  });
});
