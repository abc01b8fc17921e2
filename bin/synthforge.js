#!/usr/bin/env node
// The synthforge CLI (also installed as `sdg`). The code is built into dist/ by `npm run build`
// (run automatically by `npm ci` / `npm install` through the `prepare` script).
import { main } from "../dist/cli.js";

process.exitCode = await main(process.argv);
