import type { MigrationInterface } from "typeorm";
import { InitialSchema1767225600000 } from "./1767225600000-initial-schema.js";
import { SourceFlags1767312000000 } from "./1767312000000-source-flags.js";
import { EngineAtScale1767484800000 } from "./1767484800000-engine-at-scale.js";
import { ClaimIndexes1767571200000 } from "./1767571200000-claim-indexes.js";
import { ReviewOnce1767657600000 } from "./1767657600000-review-once.js";
import { StudioIndexes1767744000000 } from "./1767744000000-studio-indexes.js";
import { ClaimSubTopicIndex1767830400000 } from "./1767830400000-claim-sub-topic-index.js";

/**
 * Every migration, oldest first. `init()` runs the pending ones; add new migrations at
 * the end (never edit one that has shipped). Classes are listed explicitly, not found by
 * a file glob, so they survive bundling.
 */
export const MIGRATIONS: Array<new () => MigrationInterface> = [
  InitialSchema1767225600000,
  SourceFlags1767312000000,
  EngineAtScale1767484800000,
  ClaimIndexes1767571200000,
  ReviewOnce1767657600000,
  StudioIndexes1767744000000,
  ClaimSubTopicIndex1767830400000,
];

/** The table in which TypeORM records which migrations ran. */
export const MIGRATIONS_TABLE = "synthforge_migrations";
