import { getLogger, InMemoryRunner, LlmAgent, LogLevel, setLogger, setLogLevel } from "@google/adk";
import type { z } from "zod";
import { SynthforgeError } from "../core/errors.js";
import type { AgentRole } from "../core/types.js";
import { envelope } from "../models/envelope.js";
import { describeModelError } from "../models/gemini.js";
import type { UsageSink } from "../models/middleware.js";
import type { ModelRouter } from "../models/router.js";

// ADK logs an output that is not JSON or misses its schema as an error, on stdout. We surface
// exactly those as typed errors (with the raw output in `failures`), so only they are muted;
// everything else ADK logs at WARN or above still reaches its logger.
setLogLevel(LogLevel.WARN);
const adkLogger = getLogger();
const OWN_ERRORS =
  /^(?:Error parsing output for agent|Output for agent .* does not satisfy its output schema)/;
setLogger({
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
 * Runs one agent task through ADK (`LlmAgent` + `InMemoryRunner`), checks for model
 * error events (ADK reports model errors as events, not exceptions) and validates the
 * output with the task's zod schema.
 *
 * @throws SynthforgeError `MODEL_ERROR` for a failed model call, `MODEL_OUTPUT_INVALID`
 *   (with `details.raw`) when the output is not JSON or does not fit the schema.
 */
export async function runAgentTask<I, O>(
  task: AgentTask<I, O>,
  input: I,
  ctx: AgentRunContext,
): Promise<AgentResult<O>> {
  if (ctx.signal?.aborted) throw new SynthforgeError("ABORTED", "The run was aborted.");
  const model = ctx.models.model(task.role, {
    runId: ctx.runId,
    sink: ctx.sink,
    deep: task.deep?.(input) ?? false,
  });
  const agent = new LlmAgent({
    name: task.name,
    description: task.description,
    model,
    instruction: () => task.instruction(input),
    // ADK's own typing wants a zod object; every task schema is one.
    outputSchema: task.outputSchema as unknown as z.ZodObject,
    outputKey: "output",
    includeContents: "none",
    generateContentConfig: { temperature: task.temperature ?? 0.7 },
  });
  const runner = new InMemoryRunner({ agent, appName: "synthforge" });
  let raw = "";
  let stateOutput: unknown;
  for await (const ev of runner.runEphemeral({
    userId: "synthforge",
    newMessage: { role: "user", parts: [{ text: envelope(task.task, input) }] },
  })) {
    if (ev.errorCode) {
      throw new SynthforgeError(
        "MODEL_ERROR",
        `${task.name}: ${describeModelError(ev.errorCode, ev.errorMessage)}`,
        {
          details: { errorCode: ev.errorCode },
        },
      );
    }
    const text = (ev.content?.parts ?? []).map((p) => p.text ?? "").join("");
    if (text && !ev.partial) raw = text;
    if (ev.actions?.stateDelta && "output" in ev.actions.stateDelta)
      stateOutput = ev.actions.stateDelta.output;
  }
  let value: unknown = stateOutput;
  if (typeof value === "string" || value === undefined) {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new SynthforgeError("MODEL_OUTPUT_INVALID", `${task.name}: the model did not return JSON.`, {
        details: { raw },
      });
    }
  }
  const parsed = task.outputSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SynthforgeError(
      "MODEL_OUTPUT_INVALID",
      `${task.name}: output does not fit the schema at "${issue?.path.join(".") || "(root)"}": ${issue?.message ?? "invalid"}`,
      { details: { raw } },
    );
  }
  return { output: parsed.data, raw, model: model.model };
}
