import type { BaseLlm } from "@google/adk";
import { DEFAULT_MODELS, PRO_MODEL } from "../core/config.js";
import type { AgentRole } from "../core/types.js";
import { meteredLlm, type UsageSink } from "./middleware.js";
import type { ModelPrice } from "./pricing.js";
import type { ModelProvider } from "./provider.js";

/** Options of {@link ModelRouter}. */
export interface ModelRouterOptions {
  provider: ModelProvider;
  /** Model name per agent role; unset roles use {@link DEFAULT_MODELS}. */
  models?: Partial<Record<AgentRole, string>>;
  /** The model for deep work (reasoning training types, deep review). Default gemini-3-pro-preview. */
  proModel?: string;
  prices?: Record<string, ModelPrice>;
}

/** Per-call context the router needs to meter a call. */
export interface ModelCallContext {
  runId: string | null;
  sink: UsageSink;
  /** Ask for the deep (pro) tier, unless the role's model was set explicitly. */
  deep?: boolean;
}

/**
 * Routes each agent role to a model (DESIGN §3.3): `router.model(role, ctx)` returns a
 * metered `BaseLlm` instance made by the provider. Agents always get instances, never
 * model strings.
 */
export class ModelRouter {
  readonly provider: ModelProvider;
  private readonly models: Partial<Record<AgentRole, string>>;
  private readonly proModel: string;
  private readonly prices: Record<string, ModelPrice> | undefined;

  constructor(opts: ModelRouterOptions) {
    this.provider = opts.provider;
    this.models = { ...opts.models };
    this.proModel = opts.proModel ?? PRO_MODEL;
    this.prices = opts.prices;
  }

  /** The model name a role uses (explicit setting first, then the tier default). */
  modelName(role: AgentRole, opts: { deep?: boolean } = {}): string {
    const explicit = this.models[role];
    if (explicit) return explicit;
    if (opts.deep && (role === "generation" || role === "reviewer")) return this.proModel;
    return DEFAULT_MODELS[role];
  }

  /** The effective model names of every role, for the run record and the dataset card. */
  describe(): Record<AgentRole, string> {
    const out = {} as Record<AgentRole, string>;
    for (const role of Object.keys(DEFAULT_MODELS) as AgentRole[]) out[role] = this.modelName(role);
    return out;
  }

  /** A new router with some roles' models replaced (per-agent override in code). */
  withModels(models: Partial<Record<AgentRole, string>>): ModelRouter {
    return new ModelRouter({
      provider: this.provider,
      models: { ...this.models, ...models },
      proModel: this.proModel,
      ...(this.prices ? { prices: this.prices } : {}),
    });
  }

  /** A metered model instance for one agent call. */
  model(role: AgentRole, ctx: ModelCallContext): BaseLlm {
    const name = this.modelName(role, { deep: ctx.deep ?? false });
    return meteredLlm(this.provider.create(name), {
      sink: ctx.sink,
      role,
      provider: this.provider.name,
      runId: ctx.runId,
      ...(this.prices ? { prices: this.prices } : {}),
    });
  }
}
