import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_HEAP_GROWING_PERCENT, heapGrowingFlag } from "../../src/cli/heap.js";
import { ROOT } from "./helpers.js";

/**
 * The CLI's heap growth (issue 15): the CLI process collects a little more often than V8's
 * default, unless the user sized the heap themselves. What it buys is measured by
 * `npm run bench:scale` (peak RSS of a 10,000-example run), not asserted here.
 */
describe("heapGrowingFlag", () => {
  it("defaults to the CLI's percent; SYNTHFORGE_HEAP_GROWTH overrides it, 0 leaves V8's own", () => {
    expect(heapGrowingFlag({}, [])).toBe(`--heap-growing-percent=${CLI_HEAP_GROWING_PERCENT}`);
    expect(heapGrowingFlag({ SYNTHFORGE_HEAP_GROWTH: "60" }, [])).toBe("--heap-growing-percent=60");
    expect(heapGrowingFlag({ SYNTHFORGE_HEAP_GROWTH: " 0 " }, [])).toBeNull();
  });

  it("leaves a heap growth the user gave node alone", () => {
    expect(
      heapGrowingFlag({ NODE_OPTIONS: "--max-old-space-size=900 --heap-growing-percent=80" }, []),
    ).toBeNull();
    expect(heapGrowingFlag({}, ["--heap_growing_percent=10"])).toBeNull();
    // A heap cap alone is not a growth setting: both apply.
    expect(heapGrowingFlag({ NODE_OPTIONS: "--max-old-space-size=900" }, [])).not.toBeNull();
  });

  it("rejects a value that is not a whole percent, naming the variable", () => {
    for (const bad of ["abc", "-5", "12.5", "5000"]) {
      try {
        heapGrowingFlag({ SYNTHFORGE_HEAP_GROWTH: bad }, []);
        expect.unreachable(bad);
      } catch (e) {
        expect((e as { code?: string }).code).toBe("CONFIG_INVALID");
        expect((e as Error).message).toContain("SYNTHFORGE_HEAP_GROWTH");
      }
    }
  });

  it("the built CLI warns about a bad value and runs on with the default", async () => {
    const child = spawn(process.execPath, [join(ROOT, "bin", "synthforge.js"), "--version"], {
      env: { ...process.env, SYNTHFORGE_HEAP_GROWTH: "lots" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(err).toContain(`SYNTHFORGE_HEAP_GROWTH must be a whole number`);
    expect(err).toContain(`Using ${CLI_HEAP_GROWING_PERCENT}.`);
  });
});
