/**
 * Structural declarations of the Google ADK types that synthforge's public API mentions
 * (`BaseLlm`, `Gemini`, `LlmRequest`, `LlmResponse`, `BaseLlmConnection`, `FunctionTool`).
 *
 * The build writes this file next to the published declarations and points them here
 * instead of at `@google/adk`, whose own declarations do not type-check in a project with
 * `skipLibCheck: false` (they import `express`, `openapi-types` and `@google-cloud/storage`
 * types that ADK does not install, and `@google-cloud/vertexai` declarations that fail under
 * `moduleResolution: node16`). The shapes follow `@google/adk` 2.x minus its private and
 * protected members, so an ADK object is accepted wherever synthforge asks for one. To
 * hand a synthforge model to your own ADK agent, cast it:
 * `model as unknown as import("@google/adk").BaseLlm`.
 */
import type {
  Blob,
  CitationMetadata,
  Content,
  FinishReason,
  FunctionDeclaration,
  GenerateContentConfig,
  GenerateContentResponseUsageMetadata,
  GroundingMetadata,
  HttpOptions,
  LiveConnectConfig,
  LiveServerGoAway,
  LiveServerSessionResumptionUpdate,
  Transcription,
} from "@google/genai";

/** The request an ADK model receives (ADK's `LlmRequest`). */
export interface LlmRequest {
  model?: string;
  contents: Content[];
  config?: GenerateContentConfig;
  liveConnectConfig: LiveConnectConfig;
  /** ADK `BaseTool`s by name. */
  toolsDict: { [key: string]: unknown };
  allowedTools?: string[];
  previousInteractionId?: string;
}

/** One response (or streamed chunk) of an ADK model (ADK's `LlmResponse`). */
export interface LlmResponse {
  content?: Content;
  groundingMetadata?: GroundingMetadata;
  citationMetadata?: CitationMetadata;
  partial?: boolean;
  turnComplete?: boolean;
  errorCode?: string;
  errorMessage?: string;
  interrupted?: boolean;
  customMetadata?: { [key: string]: unknown };
  usageMetadata?: GenerateContentResponseUsageMetadata;
  finishReason?: FinishReason;
  liveSessionResumptionUpdate?: LiveServerSessionResumptionUpdate;
  goAway?: LiveServerGoAway;
  inputTranscription?: Transcription;
  outputTranscription?: Transcription;
  interactionId?: string;
  modelVersion?: string;
  liveSessionId?: string;
}

/** A live (bidirectional) model connection (ADK's `BaseLlmConnection`). */
export interface BaseLlmConnection {
  sendHistory(history: Content[]): Promise<void>;
  sendContent(content: Content): Promise<void>;
  sendRealtime(blob: Blob): Promise<void>;
  sendActivityStart?(): Promise<void>;
  sendActivityEnd?(): Promise<void>;
  receive(): AsyncGenerator<LlmResponse, void, void>;
  close(): Promise<void>;
}

/** An ADK model (ADK's abstract `BaseLlm`). */
export declare abstract class BaseLlm {
  readonly model: string;
  constructor({ model }: { model: string });
  static readonly supportedModels: Array<string | RegExp>;
  abstract generateContentAsync(
    llmRequest: LlmRequest,
    stream?: boolean,
    abortSignal?: AbortSignal,
  ): AsyncGenerator<LlmResponse, void>;
  abstract connect(llmRequest: LlmRequest): Promise<BaseLlmConnection>;
  maybeAppendUserContent(llmRequest: LlmRequest): void;
}

/** Parameters of ADK's `Gemini` model. */
export interface GeminiParams {
  model?: string;
  apiKey?: string;
  vertexai?: boolean;
  project?: string;
  location?: string;
  headers?: Record<string, string>;
  useInteractionsApi?: boolean;
}

/** ADK's Gemini model. */
export declare class Gemini extends BaseLlm {
  readonly useInteractionsApi: boolean;
  constructor(params: GeminiParams);
  generateContentAsync(
    llmRequest: LlmRequest,
    stream?: boolean,
    abortSignal?: AbortSignal,
  ): AsyncGenerator<LlmResponse, void>;
  protected getHttpOptions(): HttpOptions;
  protected getLiveHttpOptions(): HttpOptions;
  connect(llmRequest: LlmRequest): Promise<BaseLlmConnection>;
}

/** A tool an ADK agent can call (ADK's `FunctionTool`). */
export declare class FunctionTool {
  readonly name: string;
  readonly description: string;
  readonly isLongRunning: boolean;
  _getDeclaration(): FunctionDeclaration;
  runAsync(req: { args: Record<string, unknown>; toolContext: unknown }): Promise<unknown>;
}
