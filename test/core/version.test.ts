import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { SYNTHFORGE_VERSION } from "../../src/core/version.js";
import { userAgent } from "../../src/sources/http.js";

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")) as {
  version: string;
};

describe("the package version", () => {
  it("is package.json's, in the CLI's --version and in the sources' User-Agent", async () => {
    expect(SYNTHFORGE_VERSION).toBe(pkg.version);
    const out: string[] = [];
    await main(["node", "synthforge", "--version"], { out: (l) => out.push(l), err: () => {}, tty: false });
    expect(out.join("\n").trim()).toBe(pkg.version);
    expect(userAgent()).toContain(`synthforge/${pkg.version} `);
  });
});
