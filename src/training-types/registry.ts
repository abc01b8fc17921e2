import { SynthforgeError } from "../core/errors.js";
import { TRAINING_TYPES, type TrainingTypeName } from "../core/types.js";
import type { ExportFormat } from "./formats.js";
import type { TrainingType } from "./types.js";

const registry = new Map<TrainingTypeName, TrainingType>();

/** Registers a training type (each module calls this once for itself). */
export function registerTrainingType<Row extends Record<string, unknown>, Out>(
  type: TrainingType<Row, Out>,
): void {
  registry.set(type.name, type as unknown as TrainingType);
}

/**
 * The registered training type of that name.
 *
 * @throws SynthforgeError `UNKNOWN_TRAINING_TYPE` for names that are not training types
 *   or are not registered.
 */
export function getTrainingType(name: string): TrainingType {
  const t = registry.get(name as TrainingTypeName);
  if (t) return t;
  const known = [...registry.keys()].join(", ");
  if ((TRAINING_TYPES as readonly string[]).includes(name)) {
    throw new SynthforgeError(
      "UNKNOWN_TRAINING_TYPE",
      `Training type "${name}" is not available in this build. Available: ${known}.`,
    );
  }
  throw new SynthforgeError(
    "UNKNOWN_TRAINING_TYPE",
    `Unknown training type "${name}". Use one of: ${known}.`,
  );
}

/** All registered training types, in the order of {@link TRAINING_TYPES}. */
export function listTrainingTypes(): TrainingType[] {
  return TRAINING_TYPES.filter((n) => registry.has(n)).map((n) => registry.get(n)!);
}

/** Training types that export to each format (formats no type exports to are left out). */
export function typesByFormat(): Partial<Record<ExportFormat, string[]>> {
  const out: Partial<Record<ExportFormat, string[]>> = {};
  for (const t of listTrainingTypes()) {
    for (const f of Object.keys(t.exporters) as ExportFormat[]) {
      out[f] = [...(out[f] ?? []), t.name];
    }
  }
  return out;
}

/** Formats each registered type exports to. */
export function formatsByType(): Record<string, ExportFormat[]> {
  const out: Record<string, ExportFormat[]> = {};
  for (const t of listTrainingTypes()) out[t.name] = Object.keys(t.exporters) as ExportFormat[];
  return out;
}
