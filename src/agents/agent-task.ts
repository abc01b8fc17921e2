import type { z } from "zod";
import { isSynthforgeError, SynthforgeError } from "../core/errors.js";
import { yieldToEventLoop } from "../core/event-loop.js";
import { lazy } from "../core/load.js";
import type { AgentRole } from "../core/types.js";
import { type Adk, adk } from "../models/adk.js";
import { envelope } from "../models/envelope.js";
import { describeModelError } from "../models/gemini.js";
import type { UsageSink } from "../models/middleware.js";
import type { ModelRouter } from "../models/router.js";

// ADK logs an output that is not JSON or misses its schema as an error, on stdout. We surface
// exactly those as typed errors (with the raw output in `failures`), so only they are muted;
// everything else ADK logs at WARN or above still reaches its logger.
// ADK is loaded on the first task (start-up, issue 15), and its logger set up then, once.
const OWN_ERRORS =
  /^(?:Error parsing output for agent|Output for agent .* does not satisfy its output schema)/;
const adkWithLogger = lazy(() => {
  const a = adk(); // sets ADK's log level to WARN
  const adkLogger = a.getLogger();
  a.setLogger({
    log: (level, ...args) => {
      if (!(typeof args[0] === "string" && OWN_ERRORS.test(args[0]))) adkLogger.log(level, ...args);
    },
    debug: (...args) => adkLogger.debug(...args),
    info: (...args) => adkLogger.info(...args),
    warn: (...args) => adkLogger.warn(...args),
    error: (...args) => {
      if (!(typeof args[0] === "string" && OWN_ERRORS.test(args[0]))) adkLogger.error(...args);
    },
    setLogLevel: (level) => adkLogger.setLogLevel(level),
  });
  return { adk: a, TaskSessions: taskSessionsClass(a) };
});

type SessionTable = Record<string, Record<string, Record<string, unknown> | undefined> | undefined>;

/**
 * ADK's in-memory sessions, except that a task's session is deleted without reading it
 * first: ADK's `deleteSession` gets the session, which deep-copies every event of it (the
 * prompt and the reply), and that copy was about 3% of an offline run's CPU. Falls back to
 * ADK's own delete if its session table is not where this expects it.
 */
function taskSessionsClass(a: Adk): Adk["InMemorySessionService"] {
  return class TaskSessions extends a.InMemorySessionService {
    override async deleteSession(req: { appName: string; userId: string; sessionId: string }): Promise<void> {
      const byUser = (this as unknown as { sessions?: SessionTable }).sessions?.[req.appName]?.[req.userId];
      if (byUser && Object.hasOwn(byUser, req.sessionId)) {
        delete byUser[req.sessionId];
        return;
      }
      return super.deleteSession(req);
    }
  };
}

/** A session service as each agent task gets one (exported for tests). */
export function taskSessionService(): InstanceType<Adk["InMemorySessionService"]> {
  return new (adkWithLogger().TaskSessions)();
}

/**
 * One structured job for one agent: an ADK `LlmAgent` with a zod `outputSchema`,
 * `includeContents: "none"`, and a prompt built from a plain template function.
 * Control flow stays in code; the model only fills the schema.
 */
export interface AgentTask<I, O> {
  /** ADK agent name (an identifier), e.g. `generation_sft`. */
  name: string;
  /** Envelope task id, e.g. `generation.sft`; the offline provider answers by it. */
  task: string;
  role: AgentRole;
  description: string;
  /** The system instruction for this input (prompts live beside their agent). */
  instruction: (input: I) => string;
  outputSchema: z.ZodType<O>;
  temperature?: number;
  /** Use the deep (pro) model tier for this input. */
  deep?: (input: I) => boolean;
  /**
   * Calls {@link runAgentTask} makes while the reply has no valid output (blocked, empty,
   * not JSON, not the schema), each a model call of its own (metered). Default 1: the
   * caller asks again itself (see `agentUntilValid`, the generate stage).
   */
  attempts?: number;
}

/** What running a task needs from its caller. */
export interface AgentRunContext {
  models: ModelRouter;
  runId: string | null;
  sink: UsageSink;
  signal?: AbortSignal;
}

/** The validated output of a task plus the raw text the model returned. */
export interface AgentResult<O> {
  output: O;
  raw: string;
  model: string;
}

/**
 * Finish or block reasons of a reply the model's filters blocked (Gemini's `finishReason`
 * or `promptFeedback.blockReason`; ADK puts them in the event's `errorCode`).
 */
const BLOCKED_REASONS = new Set([
  "SAFETY",
  "IMAGE_SAFETY",
  "PROHIBITED_CONTENT",
  "IMAGE_PROHIBITED_CONTENT",
  "BLOCKLIST",
  "SPII",
  "RECITATION",
  "IMAGE_RECITATION",
  "MODEL_ARMOR",
  "JAILBREAK",
]);
/** Finish reasons of a reply that came back without content, not blocked. */
const EMPTY_REASONS = new Set([
  "STOP",
  "MAX_TOKENS",
  "OTHER",
  "LANGUAGE",
  "MALFORMED_FUNCTION_CALL",
  "UNEXPECTED_TOOL_CALL",
  "TOO_MANY_TOOL_CALLS",
  "NO_IMAGE",
  "IMAGE_OTHER",
  "FINISH_REASON_UNSPECIFIED",
  "BLOCKED_REASON_UNSPECIFIED",
]);

/**
 * What an ADK error event says about the reply: `blocked` (a safety or content filter),
 * `empty` (no content, e.g. `MAX_TOKENS` before any output, or no candidate at all), or
 * null for a failed call (an HTTP error, a network failure), which stays a `MODEL_ERROR`.
 */
export function replyProblem(
  errorCode: string | undefined,
  errorMessage: string | undefined,
): { kind: "blocked" | "empty"; reason: string } | null {
  const code = (errorCode ?? "").trim();
  if (BLOCKED_REASONS.has(code)) return { kind: "blocked", reason: code };
  if (EMPTY_REASONS.has(code)) return { kind: "empty", reason: code };
  // ADK's answer to a response with neither a candidate nor prompt feedback.
  if (code === "UNKNOWN_ERROR" && errorMessage === "Unknown error.")
    return { kind: "empty", reason: "NO_CANDIDATE" };
  return null;
}

/** A `MODEL_OUTPUT_INVALID` of `task`: `problem` is the short reason (no colon). */
function invalidOutput(
  task: { name: string },
  problem: string,
  detail: string,
  details: Record<string, unknown>,
): SynthforgeError {
  return new SynthforgeError(
    "MODEL_OUTPUT_INVALID",
    `${task.name}: ${problem}${detail ? `: ${detail}` : "."}`,
    {
      details: { ...details, problem },
    },
  );
}

/**
 * Runs one agent task through ADK (`LlmAgent` + a `Runner` on in-memory services), checks
 * for model error events (ADK reports model errors as events, not exceptions) and
 * validates the output with the task's zod schema. A reply that was blocked (e.g. `SAFETY`) or came
 * back empty is invalid output like one that is not JSON: the task's `attempts` (default
 * 1) bound how often it is asked, each attempt a metered model call of its own.
 *
 * @throws SynthforgeError `MODEL_ERROR` for a failed model call; `MODEL_OUTPUT_INVALID`
 *   when the output is not JSON or does not fit the schema (`details.raw`: the raw text),
 *   or when the reply was blocked or empty (`details.finishReason`, e.g. `SAFETY`, and
 *   `details.blocked`). `details.problem` is the short reason, `details.attempts` the calls made.
 */
export async function runAgentTask<I, O>(
  task: AgentTask<I, O>,
  input: I,
  ctx: AgentRunContext,
): Promise<AgentResult<O>> {
  const attempts = Math.max(1, Math.floor(task.attempts ?? 1));
  for (let attempt = 1; ; attempt++) {
    // A model that answers without I/O (offline, scripted) would otherwise keep the host's
    // timers and servers waiting (see core/event-loop.ts).
    await yieldToEventLoop();
    try {
      return await runOnce(task, input, ctx);
    } catch (e) {
      if (!isSynthforgeError(e, "MODEL_OUTPUT_INVALID")) throw e;
      if (attempt < attempts) continue;
      if (attempts === 1) throw e;
      // The reason stays the first clause of the message (the run summary groups drops by it).
      const problem = String(e.details?.problem ?? "no valid output");
      const rest = e.message.slice(`${task.name}: ${problem}`.length).replace(/^[:.]\s*/, "");
      throw invalidOutput(
        task,
        problem,
        `no valid output after ${attempts} attempts${rest ? `; ${rest}` : ""}`,
        {
          ...e.details,
          attempts,
        },
      );
    }
  }
}

/**
 * A task's output schema in the form ADK sends to the model, converted once per schema:
 * given a zod object, ADK converts it on every agent it builds (one per call), which cost
 * about 2% of a run's main thread. The task's own zod schema still checks the output.
 */
const genaiSchemas = new WeakMap<object, ReturnType<Adk["zodObjectToSchema"]>>();
function genaiSchemaOf(a: Adk, schema: z.ZodType): ReturnType<Adk["zodObjectToSchema"]> {
  let converted = genaiSchemas.get(schema);
  if (!converted) {
    // ADK's own typing wants a zod object; every task schema is one.
    // Frozen: every call's request shares it, so nothing may change it in place.
    converted = deepFreeze(a.zodObjectToSchema(schema as unknown as z.ZodObject));
    genaiSchemas.set(schema, converted);
  }
  return converted;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** One call of {@link runAgentTask}. */
async function runOnce<I, O>(task: AgentTask<I, O>, input: I, ctx: AgentRunContext): Promise<AgentResult<O>> {
  if (ctx.signal?.aborted) throw new SynthforgeError("ABORTED", "The run was aborted.");
  const model = ctx.models.model(task.role, {
    runId: ctx.runId,
    sink: ctx.sink,
    deep: task.deep?.(input) ?? false,
  });
  const { adk: a, TaskSessions } = adkWithLogger();
  const { LlmAgent, Runner, InMemoryArtifactService, InMemoryMemoryService } = a;
  const agent = new LlmAgent({
    name: task.name,
    description: task.description,
    model,
    instruction: () => task.instruction(input),
    outputSchema: genaiSchemaOf(a, task.outputSchema),
    outputKey: "output",
    includeContents: "none",
    generateContentConfig: { temperature: task.temperature ?? 0.7 },
  });
  // ADK's InMemoryRunner, with sessions that are cheap to delete.
  const runner = new Runner({
    agent,
    appName: "synthforge",
    sessionService: new TaskSessions(),
    artifactService: new InMemoryArtifactService(),
    memoryService: new InMemoryMemoryService(),
  });
  let raw = "";
  let stateOutput: unknown;
  let failed: SynthforgeError | null = null;
  for await (const ev of runner.runEphemeral({
    userId: "synthforge",
    newMessage: { role: "user", parts: [{ text: envelope(task.task, input) }] },
  })) {
    // The run is read to its end even after an error event: leaving it at the event would
    // stop the model's generator where it yielded the reply, before metering recorded the call.
    if (failed) continue;
    if (ev.errorCode) {
      const reply = replyProblem(ev.errorCode, ev.errorMessage);
      // A reply with nothing usable is like output that is not JSON: asked again.
      failed = reply
        ? invalidOutput(
            task,
            `the model's reply was ${reply.kind} (${reply.reason})`,
            (ev.errorMessage ?? "").replace(/\s+/g, " ").trim().slice(0, 300),
            { finishReason: reply.reason, blocked: reply.kind === "blocked" },
          )
        : new SynthforgeError(
            "MODEL_ERROR",
            `${task.name}: ${describeModelError(ev.errorCode, ev.errorMessage)}`,
            {
              details: { errorCode: ev.errorCode },
            },
          );
      continue;
    }
    const text = (ev.content?.parts ?? []).map((p) => p.text ?? "").join("");
    if (text && !ev.partial) raw = text;
    if (ev.actions?.stateDelta && "output" in ev.actions.stateDelta)
      stateOutput = ev.actions.stateDelta.output;
  }
  if (failed) throw failed;
  let value: unknown = stateOutput;
  if (typeof value === "string" || value === undefined) {
    try {
      value = JSON.parse(raw);
    } catch {
      throw invalidOutput(task, "the model did not return JSON", "", { raw });
    }
  }
  const parsed = task.outputSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidOutput(
      task,
      `output does not fit the schema at "${issue?.path.join(".") || "(root)"}"`,
      issue?.message ?? "invalid",
      { raw },
    );
  }
  return { output: parsed.data, raw, model: model.model };
}
