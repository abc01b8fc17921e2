import type { BaseLlm, LlmRequest } from "@google/adk";
import { requestHash, taggedRequestHash, tagRequestHash, WrappedLlm } from "./middleware.js";
import { classifyModelError } from "./retry.js";

/**
 * The fallback middleware: a chain of models for one role. A call goes to the first;
 * when it fails in a way another model may not (a transient error that survived its
 * retries, an open circuit, a model that does not exist), the next one gets the same
 * request, and so on. A call that already streamed a chunk is never sent again, and
 * errors that are the request's fault (400, 401, 403) are not passed down the chain.
 */
export function fallbackLlm(
  chain: Array<{ model: string; llm: BaseLlm }>,
  onFallback?: (from: string, to: string, error: unknown) => void,
): BaseLlm {
  if (chain.length === 0) throw new Error("fallbackLlm needs at least one model");
  const first = chain[0]!;
  if (chain.length === 1) return first.llm;
  return new WrappedLlm(first.llm, async function* (req, _next, stream, abortSignal) {
    // Every model of the chain meters the call under the request the pipeline made.
    if (!taggedRequestHash(req)) tagRequestHash(req, requestHash(first.model, req));
    for (let i = 0; i < chain.length; i++) {
      const link = chain[i]!;
      const request: LlmRequest = i === 0 ? req : { ...req, model: link.model, config: { ...req.config } };
      let yielded = false;
      try {
        for await (const r of link.llm.generateContentAsync(request, stream, abortSignal)) {
          yielded = true;
          yield r;
        }
        return;
      } catch (e) {
        const next = chain[i + 1];
        if (!next || yielded || abortSignal?.aborted || !shouldFallBack(e)) throw e;
        onFallback?.(link.model, next.model, e);
      }
    }
  });
}

/** True for failures another model may not have. */
export function shouldFallBack(e: unknown): boolean {
  if ((e as { name?: unknown })?.name === "CircuitOpenError") return true;
  const info = classifyModelError(e);
  return info.retryable || info.status === 404 || info.code === "NOT_FOUND";
}
