import { SynthforgeError } from "../core/errors.js";
import {
  createSource as createProcessSource,
  getSourceDefinition,
  listSources,
  registerSource as registerProcessSource,
  type SourceDefinition,
  type SourceFactoryOptions,
} from "../sources/registry.js";
import type { SourceAdapter } from "../sources/types.js";
import {
  checkVerifier,
  listVerifiers,
  registerVerifier as registerProcessVerifier,
  unregisterVerifier as unregisterProcessVerifier,
  type Verifier,
} from "../tools/verifiers.js";
import {
  type ExportFormatDefinition,
  type ExportFormatRegistration,
  exportFormatDefinition,
  processFormats,
  registerExportFormat as registerProcessExportFormat,
} from "../training-types/formats.js";
import {
  declareScopedTrainingType,
  getTrainingType,
  listTrainingTypes,
  registerTrainingType as registerProcessTrainingType,
} from "../training-types/index.js";
import type { TrainingType } from "../training-types/types.js";

/**
 * The registries a pipeline reads: training types, sources, export formats and verifiers.
 * Every list the pipeline uses (the types a request may name, the sources a config may
 * create, the formats a run exports to and reviews against, the verifiers the review stage
 * runs) comes from the pipeline's registry.
 *
 * {@link processRegistry} is the process-wide one (the built-ins, and what hosts and
 * plugins register with `registerTrainingType`, `registerSource`, `registerExportFormat`
 * and `registerVerifier`);
 * it is the default. {@link createRegistry} makes a pipeline's own: it sees the process's
 * entries, and what is registered on it (or removed from it) stays with the pipelines given it.
 */
export interface Registry {
  /**
   * The training type of that name.
   *
   * @throws SynthforgeError `UNKNOWN_TRAINING_TYPE` naming the types there are.
   */
  trainingType(name: string): TrainingType;
  /** Every training type: the built-ins, the process-registered ones, then this registry's own. */
  trainingTypes(): TrainingType[];
  /** The names of {@link Registry.trainingTypes}. */
  trainingTypeNames(): string[];
  /** Registers a training type (see `registerTrainingType`; register before the store opens: its table is made then). */
  registerTrainingType<Row extends Record<string, unknown>, Out>(type: TrainingType<Row, Out>): void;
  /** The definition of a source id, or undefined. */
  source(id: string): SourceDefinition | undefined;
  /** Every kind of source, in registration order (this registry's own last). */
  sources(): SourceDefinition[];
  /** Registers a kind of source; an id already known throws unless `replace` is set. */
  registerSource(def: SourceDefinition, opts?: { replace?: boolean }): void;
  /**
   * Creates a source by id, with its options validated (see `createSource`).
   *
   * @throws SynthforgeError `CONFIG_INVALID` for an unknown id or an invalid option.
   */
  createSource(id: string, options?: SourceFactoryOptions): SourceAdapter;
  /** The export format of that id, or undefined. */
  exportFormat(id: string): ExportFormatDefinition | undefined;
  /** Every export format: the built-ins, the process-registered ones, then this registry's own. */
  exportFormats(): ExportFormatDefinition[];
  /**
   * Registers an export format (see `registerExportFormat`; a built-in id throws). A
   * training type exports to it through an exporter keyed by its id.
   */
  registerExportFormat(format: ExportFormatRegistration): void;
  /** The verifiers the review stage runs, in order. */
  verifiers(): Verifier[];
  /** Registers (or replaces, by name) a verifier. */
  registerVerifier(v: Verifier): void;
  /** Removes a verifier by name; true when there was one. */
  unregisterVerifier(name: string): boolean;
}

/** The process-wide registry: the built-ins and everything registered with the module-level functions. */
export const processRegistry: Registry = {
  trainingType: getTrainingType,
  trainingTypes: listTrainingTypes,
  trainingTypeNames: () => listTrainingTypes().map((t) => t.name),
  registerTrainingType: registerProcessTrainingType,
  source: getSourceDefinition,
  sources: listSources,
  registerSource: registerProcessSource,
  createSource: createProcessSource,
  ...processFormats,
  registerExportFormat: registerProcessExportFormat,
  verifiers: listVerifiers,
  registerVerifier: registerProcessVerifier,
  unregisterVerifier: unregisterProcessVerifier,
};

/**
 * A pipeline's own registry (`createPipeline({ registry })`). It sees the process
 * registry's entries as they are when it looks (the built-ins, plugins loaded later), and
 * keeps its own registrations and removals to itself, so two pipelines in one process can
 * run different verifiers, sources and training types:
 *
 * ```ts
 * const registry = createRegistry();
 * registry.registerVerifier(myDomainCheck);   // only pipelines given this registry run it
 * registry.registerExportFormat(myFormat);     // only their exports know it
 * registry.unregisterVerifier("toxicity");     // the process's pipelines still do
 * const pipeline = createPipeline({ storage, registry });
 * ```
 *
 * Its own training types must not reuse the name of a process-wide type; their table is
 * created when a store opens (register before), and the offline provider answers for them
 * by name.
 */
export function createRegistry(): Registry {
  const types = new Map<string, TrainingType>();
  const sources = new Map<string, SourceDefinition>();
  const formats = new Map<string, ExportFormatDefinition>();
  const verifiers = new Map<string, Verifier>();
  const removed = new Set<string>();
  const self: Registry = {
    trainingType(name) {
      const own = types.get(name);
      if (own) return own;
      try {
        return getTrainingType(name);
      } catch (e) {
        if (types.size === 0) throw e;
        throw new SynthforgeError(
          "UNKNOWN_TRAINING_TYPE",
          `Unknown training type "${name}". Use one of: ${self.trainingTypeNames().join(", ")}.`,
        );
      }
    },
    trainingTypes: () => [...listTrainingTypes(), ...types.values()],
    trainingTypeNames: () => self.trainingTypes().map((t) => t.name),
    registerTrainingType(type) {
      declareScopedTrainingType(type);
      types.set(type.name, type as unknown as TrainingType);
    },
    source: (id) => sources.get(id) ?? getSourceDefinition(id),
    sources: () => [...listSources().filter((d) => !sources.has(d.id)), ...sources.values()],
    registerSource(def, opts = {}) {
      if (self.source(def.id) && !opts.replace)
        throw new SynthforgeError(
          "CONFIG_INVALID",
          `A source with id "${def.id}" is already registered; pass { replace: true } to replace it.`,
        );
      sources.set(def.id, def);
    },
    createSource: (id, options = {}) => createProcessSource(id, options, sources.get(id)),
    exportFormat: (id) => formats.get(id) ?? processFormats.exportFormat(id),
    exportFormats: () => [
      ...processFormats.exportFormats().filter((f) => !formats.has(f.id)),
      ...formats.values(),
    ],
    registerExportFormat(format) {
      const def = exportFormatDefinition(format);
      formats.set(def.id, def);
    },
    verifiers() {
      const out = listVerifiers()
        .filter((v) => !removed.has(v.name))
        .map((v) => verifiers.get(v.name) ?? v);
      for (const v of verifiers.values()) if (!out.includes(v)) out.push(v);
      return out;
    },
    registerVerifier(v) {
      checkVerifier(v);
      removed.delete(v.name);
      verifiers.set(v.name, v);
    },
    unregisterVerifier(name) {
      const had = self.verifiers().some((v) => v.name === name);
      verifiers.delete(name);
      removed.add(name);
      return had;
    },
  };
  return self;
}
