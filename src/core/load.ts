import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * Loading a dependency on first use (issue 15, "instant start-up"): the heavy packages
 * (ADK, mathjs, TypeORM, ...) are not evaluated when synthforge is imported, only when a
 * function that needs them runs.
 *
 * `loadSync` is for the synchronous paths (a constructor, a sync checker). In the ESM build
 * it loads the file `import()` of the package would load, with `require()` (Node ≥ 20.19
 * loads ES modules that way), so it is the very module instance a later `import()` returns;
 * in the CJS build it is a plain `require()`, as the CJS build always did.
 * What it returns is the module namespace (ESM) or `module.exports` (CommonJS).
 */
const req = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

/** Set to true in the CJS build (tsup.config.ts). */
declare const __SYNTHFORGE_CJS__: boolean | undefined;
const CJS_BUILD = typeof __SYNTHFORGE_CJS__ !== "undefined" && __SYNTHFORGE_CJS__;

/** The target of an `exports` entry under Node's ESM conditions, in the entry's own order. */
function exportTarget(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  if (Array.isArray(entry)) return entry.map(exportTarget).find((t) => t !== undefined);
  if (entry && typeof entry === "object") {
    for (const [cond, value] of Object.entries(entry)) {
      if (!["node", "import", "module-sync", "default"].includes(cond)) continue;
      const t = exportTarget(value);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

/** The file `import(specifier)` loads (a bare package name), or undefined when it cannot tell. */
function esmEntry(specifier: string): string | undefined {
  // The package's root `exports` under the conditions of import() (import.meta.resolve would do it
  // too, but neither the CJS build nor a test runner's module loader has it).
  try {
    let dir = dirname(req.resolve(specifier));
    for (;;) {
      const pkgFile = join(dir, "package.json");
      let pkg: { name?: string; exports?: unknown } | undefined;
      try {
        pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { name?: string; exports?: unknown };
      } catch {
        pkg = undefined;
      }
      if (pkg?.name === specifier) {
        const exp = pkg.exports;
        const root =
          exp && typeof exp === "object" && !Array.isArray(exp) && "." in exp
            ? (exp as Record<string, unknown>)["."]
            : exp;
        const target = exportTarget(root);
        return target ? join(dir, target) : undefined;
      }
      const up = dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  } catch {
    return undefined;
  }
}

/**
 * `opts.commonJs`: take the package's CommonJS entry in both builds. For a CommonJS package
 * whose ESM entry only re-exports it (TypeORM: the same objects, without the ESM wrapper's
 * cost), or one whose module identity does not matter (our private mathjs instance).
 */
export function loadSync<T>(specifier: string, opts: { commonJs?: boolean } = {}): T {
  let mod = loaded.get(specifier);
  if (mod === undefined) {
    const file = CJS_BUILD || opts.commonJs ? undefined : esmEntry(specifier);
    mod = file ? req(file) : req(specifier);
    loaded.set(specifier, mod);
  }
  return mod as T;
}

/**
 * A file inside an installed package, loaded with `require()` by its path (a package's
 * `exports` does not list it), or undefined when the package or the file is not there.
 * For a pinned package whose public entry does more than synthforge needs (mathjs's entry
 * builds a whole default instance). `file` may name one file per build: the ESM build loads
 * `esm` (with `require()`, as {@link loadSync} does), the CJS build `commonJs`.
 */
export function loadPackageFile<T>(
  specifier: string,
  file: string | { esm: string; commonJs: string },
): T | undefined {
  if (typeof file !== "string") file = CJS_BUILD ? file.commonJs : file.esm;
  let root: string;
  try {
    root = dirname(req.resolve(`${specifier}/package.json`));
  } catch {
    return undefined;
  }
  const path = join(root, file);
  try {
    req.resolve(path);
  } catch {
    return undefined;
  }
  return req(path) as T;
}

/** A value made on first use: `const math = lazy(() => create(all))`, then `math()`. */
export function lazy<T>(make: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value;
  };
}

/**
 * A stand-in for a class of a package loaded on first use, to `extends` at definition
 * time: the first `new` loads the real class, links the stand-in's prototype chain to it
 * (so `instanceof` and inherited members work as with the real class) and builds the
 * object with the real constructor.
 */
// biome-ignore lint/suspicious/noExplicitAny: any constructor
export function lazyClass<C extends abstract new (...args: any[]) => object>(load: () => C): C {
  let real: C | undefined;
  const link = (): C => {
    if (!real) {
      real = load();
      Object.setPrototypeOf(Lazy.prototype, real.prototype);
      Object.setPrototypeOf(Lazy, real);
    }
    return real;
  };
  class Lazy {
    constructor(...args: unknown[]) {
      // biome-ignore lint/correctness/noConstructorReturn: the object comes from the real class
      return Reflect.construct(link() as unknown as new (...a: unknown[]) => object, args, new.target);
    }
  }
  return Lazy as unknown as C;
}

/**
 * An object made on first use, for a module-level constant of a lazily loaded class (an
 * ADK `FunctionTool`): every property access, `in`, `instanceof` and key listing goes to
 * the real object, made by `make` the first time; methods are bound to it.
 */
export function lazyInstance<T extends object>(make: () => T): T {
  const real = lazy(make);
  const bound = new Map<PropertyKey, { fn: unknown; bound: unknown }>();
  return new Proxy({} as T, {
    get(_t, key) {
      const r = real();
      const v = Reflect.get(r, key, r);
      if (typeof v !== "function") return v;
      const hit = bound.get(key);
      if (hit?.fn === v) return hit.bound;
      const b = (v as (...a: unknown[]) => unknown).bind(r);
      bound.set(key, { fn: v, bound: b });
      return b;
    },
    set: (_t, key, value) => Reflect.set(real(), key, value),
    has: (_t, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(real(), key);
      return d ? { ...d, configurable: true } : d;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
    defineProperty: (_t, key, d) => Reflect.defineProperty(real(), key, d),
    deleteProperty: (_t, key) => Reflect.deleteProperty(real(), key),
  });
}
