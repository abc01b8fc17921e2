#!/usr/bin/env node
// The synthforge CLI (also installed as `sdg`). The code is built into dist/ by `npm run build`
// (run automatically by `npm ci` / `npm install` through the `prepare` script).
import { main, tuneHeap } from "../dist/cli.js";

// The CLI's process collects its heap a little more often than V8 would (src/cli/heap.ts).
const heapWarning = tuneHeap();
if (heapWarning) process.stderr.write(`synthforge: ${heapWarning}\n`);

process.exitCode = await main(process.argv);
