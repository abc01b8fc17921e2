import type { z } from "zod";
import { SynthforgeError } from "../core/errors.js";
import {
  isBuiltinTrainingType,
  registerTrainingTypeName,
  TRAINING_TYPE_NAME_PATTERN,
  TRAINING_TYPES,
  type TrainingTypeName,
} from "../core/types.js";
import { type ColumnKind, type ColumnSpec, registerExampleColumns } from "../storage/schema.js";
import type { ExportFormat } from "./formats.js";
import type { TrainingType } from "./types.js";

const registry = new Map<TrainingTypeName, TrainingType>();
/** Registered (non built-in) types, in registration order. */
const added: TrainingTypeName[] = [];

/**
 * Registers a training type. Built-in types register themselves when
 * `training-types/index.ts` is imported; a host or a plugin registers its own (a type
 * named e.g. `mcq`), which then is a first-class type: listed by
 * {@link listTrainingTypes}, accepted by `pipeline.run({ trainingType })`, the request
 * parser and the CLI's `--type`, stored in `synthetic_data_<name>` (created from
 * `columns`, or from `rowSchema`, when a store opens — register before `init()`), and
 * exported to the formats of its `exporters` (built-in ones, or ones registered with
 * `registerExportFormat`). Its `generation.offline` is its offline composer: what the
 * offline provider answers for it.
 *
 * @throws SynthforgeError `CONFIG_INVALID` for a name that is not lowercase letters,
 *   digits and `_` (it names a table), or whose columns cannot be stored.
 */
export function registerTrainingType<Row extends Record<string, unknown>, Out>(
  type: TrainingType<Row, Out>,
): void {
  const name = type.name;
  if (!isBuiltinTrainingType(name)) {
    declareTable(type);
    registerTrainingTypeName(name);
    if (!added.includes(name)) added.push(name);
  }
  registry.set(name, type as unknown as TrainingType);
}

/** Checks a registered type's name and declares its table's columns (a fact of the database, not of a pipeline). */
function declareTable<Row extends Record<string, unknown>, Out>(type: TrainingType<Row, Out>): void {
  const name = type.name;
  if (typeof name !== "string" || !TRAINING_TYPE_NAME_PATTERN.test(name))
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Training type name "${String(name)}" must be lowercase letters, digits and _ (starting with a letter, at most 40).`,
    );
  registerExampleColumns(name, type.columns ?? columnsFromSchema(name, type.rowSchema));
}

/** Types registered in a pipeline's own registry (`createRegistry`), by name: the last one wins. */
const scoped = new Map<string, TrainingType>();

/**
 * Declares a training type of one registry scope (a pipeline's own registry, not the
 * process's): its table's columns are declared (the store creates the table when it opens),
 * and the agents' offline answers find it by name ({@link resolveTrainingType}), but it is
 * not listed by {@link listTrainingTypes} nor accepted by {@link getTrainingType}: only the
 * pipelines given that registry know it. Called by the pipeline layer's `createRegistry`.
 *
 * @throws SynthforgeError `CONFIG_INVALID` for a name the process registry already has (a
 *   scoped type may not shadow a process-wide one), a bad name or columns that cannot be stored.
 */
export function declareScopedTrainingType<Row extends Record<string, unknown>, Out>(
  type: TrainingType<Row, Out>,
): void {
  if (isBuiltinTrainingType(type.name) || registry.has(type.name))
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Training type "${type.name}" is already registered process-wide; give the pipeline's own type another name.`,
    );
  declareTable(type);
  scoped.set(type.name, type as unknown as TrainingType);
}

/**
 * The training type of that name for code that only has the name (the agents' offline
 * answers and prompt hints): the process registry's, else the one a pipeline registry
 * declared ({@link declareScopedTrainingType}).
 *
 * @throws SynthforgeError `UNKNOWN_TRAINING_TYPE` when neither has it.
 */
export function resolveTrainingType(name: string): TrainingType {
  return registry.get(name as TrainingTypeName) ?? scoped.get(name) ?? getTrainingType(name);
}

/**
 * The columns of a `z.object` row schema: strings → text, integers → integer, numbers →
 * real, booleans → boolean, anything else → json; nullable/optional fields are nullable.
 */
export function columnsFromSchema(name: string, schema: z.ZodType): ColumnSpec[] {
  const def = (schema as unknown as { def?: { type?: string; shape?: Record<string, z.ZodType> } }).def;
  if (def?.type !== "object" || !def.shape)
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Training type "${name}": rowSchema is not a z.object; give the type its \`columns\`.`,
    );
  return Object.entries(def.shape).map(([col, field]) => {
    let nullable = false;
    let f = field as unknown as { def: { type: string; innerType?: unknown }; isInt?: boolean };
    while (["nullable", "optional", "default"].includes(f.def.type) && f.def.innerType) {
      if (f.def.type !== "default") nullable = true;
      f = f.def.innerType as typeof f;
    }
    const t = f.def.type;
    const kind: ColumnKind =
      t === "string" || t === "enum" || t === "literal"
        ? "text"
        : t === "boolean"
          ? "boolean"
          : t === "number"
            ? f.isInt
              ? "integer"
              : "real"
            : "json";
    return { name: col, kind, ...(nullable ? { nullable: true } : {}) };
  });
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
  const known = [...listTrainingTypes().map((x) => x.name)].join(", ");
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

/** All registered training types: the built-ins in the order of {@link TRAINING_TYPES}, then those registered at run time. */
export function listTrainingTypes(): TrainingType[] {
  return [...TRAINING_TYPES, ...added].filter((n) => registry.has(n)).map((n) => registry.get(n)!);
}

/** Training types that export to each format (formats no type exports to are left out). */
export function typesByFormat(): Partial<Record<ExportFormat | (string & {}), string[]>> {
  const out: Partial<Record<string, string[]>> = {};
  for (const t of listTrainingTypes()) {
    for (const f of Object.keys(t.exporters)) {
      out[f] = [...(out[f] ?? []), t.name];
    }
  }
  return out;
}

/** Formats each registered type exports to. */
export function formatsByType(): Record<string, Array<ExportFormat | (string & {})>> {
  const out: Record<string, string[]> = {};
  for (const t of listTrainingTypes()) out[t.name] = Object.keys(t.exporters);
  return out;
}
