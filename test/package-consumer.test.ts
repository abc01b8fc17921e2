import { spawn } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The package as a host gets it: built with declarations (`npm run build`: tsup, then
 * scripts/public-types.mjs), packed with `npm pack`, unpacked into a consumer project whose
 * other dependencies are the repository's own (linked, nothing downloaded), and type-checked
 * there with `skipLibCheck: false`; then publint and Are the Types Wrong on the tarball.
 * The build goes to a temporary folder, so the repository's dist/ is left alone.
 */

const root = join(import.meta.dirname, "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

/** Runs a command to its exit (asynchronously: the test worker keeps answering vitest meanwhile). */
function run(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; out: string }> {
  const env = { ...process.env };
  delete env.SYNTHFORGE_QUICK_BUILD;
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", fail);
    child.on("close", (status) => done({ status, out }));
  });
}

async function must(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.out}`);
  return r.out;
}

let work: string;
let tarball: string;
let consumer: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "sf-package-"));
  const pkg = join(work, "synthforge");
  mkdirSync(pkg);
  await must(
    process.execPath,
    [join(root, "node_modules", "tsup", "dist", "cli-default.js"), "--out-dir", join(pkg, "dist")],
    root,
  );
  await must(process.execPath, [join(root, "scripts", "public-types.mjs"), join(pkg, "dist")], root);
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { files: string[] };
  for (const f of manifest.files.filter((f) => f !== "dist"))
    cpSync(join(root, f), join(pkg, f), { recursive: true });
  cpSync(join(root, "package.json"), join(pkg, "package.json"));
  // --ignore-scripts: `prepare` would rebuild into the repository's dist/.
  const packed = JSON.parse(
    await must("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], pkg),
  ) as Array<{ filename: string }>;
  tarball = join(work, packed[0]!.filename);

  consumer = join(work, "consumer");
  const modules = join(consumer, "node_modules");
  mkdirSync(join(modules, "synthforge"), { recursive: true });
  await must("tar", ["-xzf", tarball, "-C", join(modules, "synthforge"), "--strip-components=1"], work);
  // The package's dependencies (and @types/node) come from the repository, linked.
  for (const e of readdirSync(join(root, "node_modules"))) {
    if (e === "synthforge" || e === ".bin" || e.startsWith(".")) continue;
    symlinkSync(join(root, "node_modules", e), join(modules, e));
  }
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  writeFileSync(join(consumer, "host.ts"), HOST_ESM);
  writeFileSync(join(consumer, "host.cts"), HOST_CJS);
}, 600_000);

/** A host using the main API, `synthforge/testing` and `synthforge/internals` (ESM). */
const HOST_ESM = `
import {
  createPipeline,
  type ExportOptions,
  type HfDatasetOptions,
  type ExportFormatId,
  type ItemStage,
  offlineModels,
  type RunRequest,
  SynthforgeError,
  sqliteStore,
  verifierTools,
} from "synthforge";
import { TokenBucket } from "synthforge/internals";
import { startGeminiWireServer, type WireFaults } from "synthforge/testing";

const storage = sqliteStore({ path: ":memory:" });
const pipeline = createPipeline({ storage, models: offlineModels() });
const format: ExportFormatId = "alpaca";
const options: Pick<ExportOptions, "format"> = { format: "sharegpt" };
const hf: Pick<HfDatasetOptions, "format"> = { format: "my-plugin-format" };
const faults: WireFaults = { rate429: 0.1 };
const server = await startGeminiWireServer({ faults });
await server.close();
const bucket = new TokenBucket(10);
const tools = verifierTools().map((t) => t.name);
const stage: ItemStage | undefined = undefined;
const request: RunRequest | undefined = undefined;
if (!(new SynthforgeError("INVALID_REQUEST", "x") instanceof Error)) throw new Error("no");
console.log(pipeline, format, options, hf, bucket, tools, stage, request);

// Literal unions stay literal: the known names are members of the type, not swallowed by string.
type HasLiteral<T, L extends string> = T extends L ? true : never;
const a: HasLiteral<ExportOptions["format"], "alpaca"> = true;
const b: HasLiteral<Exclude<HfDatasetOptions["format"], undefined>, "sharegpt"> = true;
const c: HasLiteral<Exclude<Exclude<RunRequest, string>["trainingType"], undefined>, "sft"> = true;
console.log(a, b, c);

// The declarations are real types, not any: each of these is an error.
// @ts-expect-error a storage is required
createPipeline({ models: offlineModels() });
// @ts-expect-error a format id is a string
const wrong: ExportFormatId = 42;
console.log(wrong);
`;

/** The same package from CommonJS (its .d.cts declarations). */
const HOST_CJS = `
import { createPipeline, offlineModels, sqliteStore } from "synthforge";
import { startOpenAIWireServer } from "synthforge/testing";
import { setDefaultHttpClient } from "synthforge/internals";
export const parts = [createPipeline, offlineModels, sqliteStore, startOpenAIWireServer, setDefaultHttpClient];
`;

async function tsc(name: string, compilerOptions: Record<string, unknown>, files: string[]): Promise<string> {
  writeFileSync(
    join(consumer, name),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ["node"],
        ...compilerOptions,
      },
      files,
    }),
  );
  const r = await run(
    process.execPath,
    [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", name],
    consumer,
  );
  return r.status === 0 ? "" : r.out;
}

describe("the packed package in a consumer project", () => {
  it("ships the entry points, the node10 stubs and declarations that do not import @google/adk", async () => {
    const files = (await run("tar", ["-tzf", tarball], work)).out.split("\n");
    for (const f of [
      "package/dist/index.d.ts",
      "package/dist/index.d.cts",
      "package/dist/internals.d.ts",
      "package/dist/testing.d.cts",
      "package/dist/adk-types.d.ts",
      "package/testing/package.json",
      "package/internals/package.json",
    ])
      expect(files).toContain(f);
    const dist = join(consumer, "node_modules", "synthforge", "dist");
    const dts = readdirSync(dist).filter((f) => /\.d\.c?ts$/.test(f));
    expect(dts.length).toBeGreaterThan(6);
    for (const f of dts) expect(readFileSync(join(dist, f), "utf8"), f).not.toMatch(/from ['"]@google\/adk/);
  });

  it("type-checks with skipLibCheck: false under moduleResolution node16 (ESM and CJS) and bundler", async () => {
    expect(
      await tsc("tsconfig.node16.json", { module: "node16", moduleResolution: "node16" }, [
        "host.ts",
        "host.cts",
      ]),
    ).toBe("");
    expect(
      await tsc("tsconfig.bundler.json", { module: "esnext", moduleResolution: "bundler" }, ["host.ts"]),
    ).toBe("");
  });

  it("fails the same check when a host misuses the API (the declarations are checked, not any)", async () => {
    writeFileSync(
      join(consumer, "bad.ts"),
      `import { createPipeline } from "synthforge";\ncreatePipeline({ storage: "not a store" });\n`,
    );
    const out = await tsc("tsconfig.bad.json", { module: "node16", moduleResolution: "node16" }, ["bad.ts"]);
    expect(out).toMatch(/bad\.ts\(2,\d+\): error TS2322/);
  });

  it("is clean under publint (strict) and Are the Types Wrong, node10 included", async () => {
    const lint = await run(bin("publint"), ["run", tarball, "--strict", "--level", "suggestion"], work);
    expect(lint.status, lint.out).toBe(0);
    expect(lint.out).toMatch(/All good!/);
    const attw = await run(bin("attw"), [tarball, "--format", "json"], work);
    expect(attw.status, attw.out).toBe(0);
    const report = JSON.parse(attw.out.slice(attw.out.indexOf("{"))) as {
      analysis: {
        problems: unknown[];
        entrypoints: Record<string, { resolutions: Record<string, unknown> }>;
      };
    };
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual([
      ".",
      "./internals",
      "./package.json",
      "./testing",
    ]);
    expect(Object.keys(report.analysis.entrypoints["./testing"]!.resolutions)).toContain("node10");
  });
});
