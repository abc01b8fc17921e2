import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sqliteStore } from "../../src/storage/typeorm-store.js";
import { pipelineSuite } from "./suite.js";

const dir = mkdtempSync(join(tmpdir(), "sf-pipeline-"));
let n = 0;
pipelineSuite("sqlite", async () => sqliteStore({ path: join(dir, `run-${n++}.db`) }), { full: true });
