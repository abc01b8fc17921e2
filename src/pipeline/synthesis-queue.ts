import {
  type ResearchBatchInput,
  type ResearchInput,
  researchBatchTask,
  researchTask,
} from "../agents/research.js";
import type { SynthesizedContext } from "../training-types/types.js";
import type { RunContext } from "./context.js";

/** How research syntheses are gathered into one model call. */
export interface SynthesisBatching {
  /** Questions per call (1: one call per question). */
  size: number;
  /** How long the first question of a call waits for others, in ms. */
  waitMs: number;
}

interface Waiting {
  input: ResearchInput;
  resolve: (c: SynthesizedContext) => void;
  reject: (e: unknown) => void;
}

/**
 * The research syntheses of one run, gathered: a question's synthesis waits up to
 * `waitMs` for others (or until `size` are waiting), then one model call digests them all,
 * each passage given once. A digest the reply lacks or that cites none of its question's
 * sources, or a call that fails, falls back to that question's own synthesis call, so a batch never loses a question; each question
 * still gets its own digest of its own passages (sources filtered as for one question).
 */
export class SynthesisQueue {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: Pick<RunContext, "agent" | "signal" | "logger">,
    private readonly batching: SynthesisBatching,
  ) {}

  /** The synthesized context of one question's passages. */
  synthesize(input: ResearchInput): Promise<SynthesizedContext> {
    if (this.batching.size <= 1) return this.alone(input);
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (this.waiting.length >= this.batching.size) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.batching.waitMs);
    });
  }

  private async alone(input: ResearchInput): Promise<SynthesizedContext> {
    return (await this.ctx.agent(researchTask, input)).output;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting.splice(0, this.batching.size);
    if (this.waiting.length) this.timer = setTimeout(() => this.flush(), this.batching.waitMs);
    void this.digest(batch);
  }

  private async digest(batch: Waiting[]): Promise<void> {
    const digests = new Map<string, SynthesizedContext>();
    if (batch.length > 1) {
      try {
        const { output } = await this.ctx.agent(researchBatchTask, batchInput(batch.map((w) => w.input)));
        for (const { ref, ...digest } of output.digests) if (!digests.has(ref)) digests.set(ref, digest);
      } catch (e) {
        if (this.ctx.signal.aborted) {
          for (const w of batch) w.reject(e);
          return;
        }
        this.ctx.logger.debug(
          `research: the synthesis of ${batch.length} questions failed (${e instanceof Error ? e.message : String(e)}); each is asked alone`,
        );
      }
    }
    await Promise.all(
      batch.map(async (w, i) => {
        try {
          // A digest counts only when it cites the question's own passages: a reply that
          // mixes questions up is not taken on trust.
          const own = new Set(w.input.passages.map((p) => p.sourceId));
          const d = digests.get(`Q${i + 1}`);
          const grounded = d?.keyFacts.some((f) => f.sourceIds.some((id) => own.has(id)));
          w.resolve(d && grounded ? d : await this.alone(w.input));
        } catch (e) {
          w.reject(e);
        }
      }),
    );
  }
}

/** One synthesis input for several questions: each distinct passage once, questions by ref. */
export function batchInput(inputs: ResearchInput[]): ResearchBatchInput {
  const passages: ResearchBatchInput["passages"] = [];
  const refOf = new Map<string, string>();
  const questions = inputs.map((input, i) => ({
    ref: `Q${i + 1}`,
    question: input.question,
    passageRefs: input.passages.map((p) => {
      const key = `${p.sourceId}\u0000${p.text}`;
      let ref = refOf.get(key);
      if (!ref) {
        ref = `P${passages.length + 1}`;
        refOf.set(key, ref);
        passages.push({ ref, sourceId: p.sourceId, text: p.text, ...(p.flags ? { flags: p.flags } : {}) });
      }
      return ref;
    }),
  }));
  return { topic: inputs[0]?.topic ?? "", passages, questions };
}
