import { alpaca } from "./alpaca.js";
import { openaiChat } from "./openai-chat.js";
import { openaiDpo } from "./openai-dpo.js";
import { openaiRft } from "./openai-rft.js";
import { sharegpt } from "./sharegpt.js";
import { trlDpo } from "./trl-dpo.js";
import { trlGrpo } from "./trl-grpo.js";
import { trlKto } from "./trl-kto.js";
import { trlOrpo } from "./trl-orpo.js";
import { trlPromptOnly } from "./trl-prompt-only.js";
import { trlReward } from "./trl-reward.js";
import { trlSftMessages } from "./trl-sft-messages.js";
import { trlSftPromptCompletion } from "./trl-sft-prompt-completion.js";
import { vertexSft } from "./vertex-sft.js";

/**
 * The built-in export formats, one module each, in the order `--list-formats` shows them.
 * Adding one: its module (id, description, needs, trainer, row validator, reader) and its
 * line here.
 */
export const BUILTIN_FORMATS = [
  trlSftMessages,
  trlSftPromptCompletion,
  trlDpo,
  trlOrpo,
  trlKto,
  trlReward,
  trlPromptOnly,
  trlGrpo,
  openaiChat,
  openaiDpo,
  openaiRft,
  vertexSft,
  alpaca,
  sharegpt,
] as const;
