import type { BaseLlm } from "@google/adk";
import { DEFAULT_MODELS, PRO_MODEL } from "../core/config.js";
import type { AgentRole } from "../core/types.js";
import { type BatchQueue, batchedLlm } from "./batch.js";
import type { CostGate } from "./budget.js";
import { type CacheSession, cachedLlm } from "./cache.js";
import { type Clock, systemClock } from "./clock.js";
import { fallbackLlm } from "./fallback.js";
import {
  type CircuitBreakerOptions,
  circuitBreakerLlm,
  DEFAULT_RATE_LIMITS,
  type GovernedCall,
  governedLlm,
  ModelGovernor,
  type RateLimit,
  timeoutLlm,
} from "./limits.js";
import { meteredLlm, requestHash, taggedRequestHash, type UsageSink } from "./middleware.js";
import type { ModelPrice } from "./pricing.js";
import type { ModelProvider } from "./provider.js";
import { retryingLlm } from "./retry.js";

/** Options of {@link ModelRouter}. */
export interface ModelRouterOptions {
  provider: ModelProvider;
  /** Model name per agent role; unset roles use {@link DEFAULT_MODELS}. */
  models?: Partial<Record<AgentRole, string>>;
  /** The model for deep work (reasoning training types, deep review). Default gemini-3-pro-preview. */
  proModel?: string;
  /** Price table (USD per million tokens) by model; default {@link DEFAULT_PRICES}. */
  prices?: Record<string, ModelPrice>;
  /**
   * Limits per model name (requests, input and output tokens per minute, concurrency
   * ceiling), merged over {@link DEFAULT_RATE_LIMITS} for paid providers. Config `rateLimits`.
   */
  rateLimits?: Record<string, RateLimit>;
  /**
   * Models tried in order when a role's model fails after its retries (or its circuit is
   * open), e.g. `{ generation: ["gemini-2.5-flash", "gemini-2.0-flash"] }`. The role's own
   * model is always tried first; listing it again is harmless. Config `fallbacks`.
   */
  fallbacks?: Partial<Record<AgentRole, string[]>>;
  /** Per-call timeout in ms (each attempt; a timed-out attempt is retried). Default: none. */
  timeoutMs?: number;
  /** Circuit breaker settings (per model). */
  breaker?: CircuitBreakerOptions;
  /** Clock of the limits (tests inject a manual one). */
  clock?: Clock;
}

/** Per-call context the router needs to meter a call. */
export interface ModelCallContext {
  runId: string | null;
  sink: UsageSink;
  /** Ask for the deep (pro) tier, unless the role's model was set explicitly. */
  deep?: boolean;
  /** The run's response cache; without it every call goes to the model. */
  cache?: CacheSession;
  /** Multiplies the price of the call (0.5 for Gemini Batch API calls). */
  priceFactor?: number;
  /** Sends the calls of the queue's roles through the Gemini Batch API (`--batch`). */
  batch?: BatchQueue;
  /** The run's cost cap: each call reserves its worst case before it is sent. */
  gate?: CostGate;
}

/**
 * Routes each agent role to a model (DESIGN §3.3): `router.model(role, ctx)` returns a
 * `BaseLlm` instance made by the provider and wrapped in the middleware, outermost
 * first: response cache → fallback chain → circuit breaker → rate limit / adaptive
 * concurrency → retry with backoff → usage and cost metering → per-call timeout →
 * provider. Limits, concurrency and circuit state are shared per model name by every
 * call of the router (and of routers made from it with {@link withModels}).
 */
export class ModelRouter {
  readonly provider: ModelProvider;
  private readonly models: Partial<Record<AgentRole, string>>;
  private readonly proModel: string;
  private readonly prices: Record<string, ModelPrice> | undefined;
  private readonly opts: ModelRouterOptions;
  private readonly governors: Map<string, ModelGovernor>;

  private readonly defaults: Partial<Pick<ModelCallContext, "cache" | "priceFactor" | "batch" | "gate">>;

  constructor(
    opts: ModelRouterOptions,
    governors?: Map<string, ModelGovernor>,
    defaults: Partial<Pick<ModelCallContext, "cache" | "priceFactor" | "batch" | "gate">> = {},
  ) {
    this.opts = opts;
    this.defaults = defaults;
    this.provider = opts.provider;
    this.models = { ...opts.models };
    this.proModel = opts.proModel ?? PRO_MODEL;
    this.prices = opts.prices;
    this.governors = governors ?? new Map();
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

  /** The models a role's calls may use, in order: its own, then its fallbacks. */
  chain(role: AgentRole, opts: { deep?: boolean } = {}): string[] {
    return [...new Set([this.modelName(role, opts), ...(this.opts.fallbacks?.[role] ?? [])])];
  }

  /** The price table in force (the configured one, else the default). */
  get priceTable(): Record<string, ModelPrice> | undefined {
    return this.prices;
  }

  /** A new router with some roles' models replaced (per-agent override in code). Shares the limits. */
  withModels(models: Partial<Record<AgentRole, string>>): ModelRouter {
    return new ModelRouter(
      { ...this.opts, models: { ...this.models, ...models } },
      this.governors,
      this.defaults,
    );
  }

  /**
   * A router whose calls use `defaults` unless the call says otherwise: the pipeline
   * binds a run's response cache this way. Shares the limits.
   */
  withCallDefaults(
    defaults: Partial<Pick<ModelCallContext, "cache" | "priceFactor" | "batch" | "gate">>,
  ): ModelRouter {
    return new ModelRouter(this.opts, this.governors, { ...this.defaults, ...defaults });
  }

  /** The options this router was made with. */
  get options(): Readonly<ModelRouterOptions> {
    return this.opts;
  }

  /** The limits, concurrency and circuit state of a model (made on first use). */
  governor(model: string): ModelGovernor {
    let g = this.governors.get(model);
    if (!g) {
      const defaults = this.provider.paid ? DEFAULT_RATE_LIMITS[model] : undefined;
      const limit = { ...defaults, ...this.opts.rateLimits?.[model] };
      g = new ModelGovernor(model, {
        limit,
        clock: this.opts.clock ?? systemClock,
        ...(this.opts.breaker ? { breaker: this.opts.breaker } : {}),
      });
      this.governors.set(model, g);
    }
    return g;
  }

  /** The middleware stack of one model for one call (everything below the fallback chain). */
  private stack(name: string, role: AgentRole, ctx: ModelCallContext): BaseLlm {
    const governor = this.governor(name);
    const call: GovernedCall = { slot: null };
    const retry = this.provider.retry;
    const bare = this.provider.bare && retry ? this.provider.bare(name) : this.provider.create(name);
    let llm: BaseLlm = bare;
    if (this.opts.timeoutMs && this.opts.timeoutMs > 0)
      llm = timeoutLlm(llm, this.opts.timeoutMs, this.opts.clock ?? systemClock);
    llm = meteredLlm(llm, {
      sink: ctx.sink,
      role,
      provider: this.provider.name,
      runId: ctx.runId,
      ...(this.prices ? { prices: this.prices } : {}),
      ...(ctx.priceFactor !== undefined ? { priceFactor: ctx.priceFactor } : {}),
      ...(ctx.gate ? { gate: ctx.gate } : {}),
    });
    if (this.provider.bare && retry) {
      llm = retryingLlm(llm, {
        ...retry,
        onRetry: (info) => {
          retry.onRetry?.(info);
          governor.feedback(call.slot, info.error);
        },
      });
    }
    llm = governedLlm(llm, governor, call);
    return circuitBreakerLlm(llm, governor.breaker, name);
  }

  /** A model instance for one agent call, wrapped in the middleware (see the class doc). */
  model(role: AgentRole, callCtx: ModelCallContext): BaseLlm {
    const ctx: ModelCallContext = { ...this.defaults, ...callCtx };
    const deep = ctx.deep ?? false;
    const primary = this.modelName(role, { deep });
    const names = this.chain(role, { deep });
    let llm = fallbackLlm(names.map((model) => ({ model, llm: this.stack(model, role, ctx) })));
    if (ctx.batch?.roles.includes(role)) {
      llm = batchedLlm(
        llm,
        ctx.batch,
        role,
        primary,
        (req) => taggedRequestHash(req) ?? requestHash(primary, req),
      );
    }
    if (ctx.cache) {
      llm = cachedLlm(llm, {
        session: ctx.cache,
        model: primary,
        sink: ctx.sink,
        role,
        provider: this.provider.name,
        runId: ctx.runId,
      });
    }
    return llm;
  }
}
