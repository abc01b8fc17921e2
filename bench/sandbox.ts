/**
 * Sandbox benchmark (`npm run bench:sandbox`): what the process boundary costs.
 *
 *   cold start      first Pyodide child ready (full load, then the snapshot for the others)
 *   warm program    a short program on a warm child (median of 40)
 *   after a kill    the next program right after one was killed for its time limit, with a
 *                   pool of 2 (a warm child takes it) and with a pool of 1 (it waits for a
 *                   new child from the snapshot); median of 5
 *   throughput      100 short programs at once, pools of 1 and 2 children (programs/s)
 *   QuickJS         the same latencies for the JavaScript sandbox
 */
import { JavaScriptSandbox } from "../src/tools/js-sandbox.js";
import { PythonSandbox } from "../src/tools/python-sandbox.js";
import type { SandboxOptions, SandboxResult } from "../src/tools/sandbox-host.js";

type Row = Record<string, string | number | boolean | null>;
interface Sandbox {
  run(code: string, opts?: SandboxOptions): Promise<SandboxResult>;
  close(): Promise<void>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function latencies(
  make: (children: number) => Sandbox,
  lang: string,
  code: string,
  loop: string,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const children of [2, 1]) {
    const sb = make(children);
    const cold = await timed(() => sb.run(code));
    // Let the pool fill (the other children start from the snapshot).
    for (let i = 0; i < 10; i++) await sb.run(code);
    await new Promise((r) => setTimeout(r, 3000));
    const warm: number[] = [];
    for (let i = 0; i < 40; i++) warm.push(await timed(() => sb.run(code)));
    const afterKill: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await sb.run(loop, { timeoutMs: 200 });
      if (r.verdict !== "timeout") throw new Error(`expected a timeout, got ${r.verdict}`);
      afterKill.push(await timed(() => sb.run(code)));
      await new Promise((r) => setTimeout(r, 3000));
    }
    rows.push({
      sandbox: lang,
      children,
      "cold start ms": Math.round(cold),
      "warm program ms": Math.round(median(warm)),
      "next program after a kill ms": Math.round(median(afterKill)),
    });
    await sb.close();
  }
  return rows;
}

async function throughputOf(make: (children: number) => Sandbox, lang: string, code: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const children of [1, 2]) {
    const sb = make(children);
    await Promise.all(Array.from({ length: children * 2 }, () => sb.run(code)));
    await new Promise((r) => setTimeout(r, 2000));
    const n = 100;
    const ms = await timed(() => Promise.all(Array.from({ length: n }, () => sb.run(code))));
    rows.push({ sandbox: lang, children, programs: n, "programs/s": Math.round((n / ms) * 1000) });
    await sb.close();
  }
  return rows;
}

export async function sandbox(): Promise<Row[]> {
  const py = "import math\nprint(sum(math.sqrt(i) for i in range(20000)))";
  const js = "let s = 0; for (let i = 0; i < 20000; i++) s += Math.sqrt(i); console.log(s)";
  const python = (c: number) => new PythonSandbox({ children: c });
  const javascript = (c: number) => new JavaScriptSandbox({ children: c });
  return [
    ...(await latencies(python, "python", py, "while True: pass")),
    ...(await latencies(javascript, "javascript", js, "for (;;) {}")),
    ...(await throughputOf(python, "python", py)),
    ...(await throughputOf(javascript, "javascript", js)),
  ];
}
