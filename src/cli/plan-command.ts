import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { parseCount, parseTrainingType, readRequest } from "../core/request.js";
import { type ClarifyFn, planRequest, type RunPreview } from "../pipeline/plan-stage.js";
import type { CliIO } from "./progress.js";
import { type RunFlags, runSettings } from "./run-options.js";
import { reportSkippedFiles } from "./settings.js";

/** Flags of `synthforge plan`. */
type PlanFlags = Pick<RunFlags, "config" | "provider" | "model" | "corpus" | "typeOption"> & {
  count?: string;
  type?: string;
  topic?: string;
  yes?: boolean;
  json?: boolean;
  force?: boolean;
};

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Prompts for missing fields on a terminal; with `--yes`, takes and prints the defaults. */
function clarifier(flags: PlanFlags, io: CliIO): ClarifyFn | undefined {
  if (flags.yes) {
    return async (questions) => {
      for (const q of questions)
        io.err(`--yes: ${q.field === "trainingType" ? "training type" : q.field} = ${q.default}`);
      return {};
    };
  }
  if (!process.stdin.isTTY) return undefined;
  return async (questions) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answers: Record<string, string> = {};
    try {
      for (const q of questions) answers[q.field] = await rl.question(`${q.question} [${q.default}] `);
    } finally {
      rl.close();
    }
    return answers;
  };
}

const usd = (n: number) => `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;
const pct = (x: number) => `${Math.round(x * 100)}%`;

/** The human lines of a preview. */
export function formatPreview(p: RunPreview, command: string): string[] {
  const plan = p.plan;
  const c = plan.constraints ?? {};
  const constraintText = [
    c.audience ? `audience: ${c.audience}` : null,
    c.language ? `language: ${c.language}` : null,
    c.style ? `style: ${c.style}` : null,
    c.mustInclude?.length ? `must include: ${c.mustInclude.join(", ")}` : null,
  ].filter(Boolean);
  const m = p.material;
  const lines = [
    `Plan for "${p.request}" (${p.provider} provider; nothing generated, no database written)`,
    `  count          ${plan.count}`,
    `  training type  ${plan.trainingType}`,
    `  topic          ${plan.topic}`,
    `  domain         ${plan.domain}`,
    `  sub-topics     ${plan.subTopics.map((s) => `${s.name} (${s.quota})`).join(", ")}`,
    `  difficulty     easy ${pct(plan.difficultyMix.easy)} · medium ${pct(plan.difficultyMix.medium)} · hard ${pct(plan.difficultyMix.hard)}`,
    `  constraints    ${constraintText.length ? constraintText.join(" · ") : "none stated (English)"}`,
    `  sources        research searches ${p.researchSources.join(", ") || "none"} (licence policy ${plan.licencePolicy})`,
    `  material       ${m.documents.length} document(s) on the topic${
      m.documents.length
        ? `: ${m.documents
            .slice(0, 6)
            .map((d) => `${d.title} (${d.passages})`)
            .join(", ")}${m.documents.length > 6 ? ", …" : ""}`
        : ""
    }`,
    `  distinct questions  about ${m.distinctQuestions} (${m.basis})`,
    `  notes          research: ${oneLine(plan.researchNotes)}`,
    `                 execution: ${oneLine(plan.executionNotes)}`,
    `  cost estimate  for ${plan.count} approved examples (~${tokensText(p)} tokens):`,
    ...p.cost.rows.map(
      (r) =>
        `    ${r.label.padEnd(36)} ${usd(r.usd).padStart(10)}${r.provider === "gemini" ? `   with --batch ${usd(r.batchUsd)}` : ""}${r.unpriced.length ? `   (no price for ${r.unpriced.join(", ")})` : ""}`,
    ),
    `  planning made ${p.usage.calls} model call(s) (intake, plan): ${p.usage.totalTokens.toLocaleString("en-US")} tokens, ${usd(p.usage.costUsd)}; not stored`,
  ];
  for (const d of p.disagreements) lines.push(`  intake: ${d}`);
  for (const w of p.warnings) lines.push(`  warning: ${w}`);
  lines.push(`  run it with: ${command}`);
  return lines;
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > 160 ? `${t.slice(0, 157)}…` : t;
}

function tokensText(p: RunPreview): string {
  const total = Object.values(p.cost.tokens).reduce((s, t) => s + t.input + t.output, 0);
  return total.toLocaleString("en-US");
}

async function plan(request: string | undefined, flags: PlanFlags, io: CliIO): Promise<number> {
  const text = request ?? "";
  const force = flags.force ?? false;
  // Bad input (a contradictory request, a bad count or type) is one error line, before anything else.
  readRequest(text, { force });
  const given = {
    request: text,
    ...(flags.count !== undefined ? { count: parseCount(flags.count, { force }) } : {}),
    ...(flags.type !== undefined ? { trainingType: parseTrainingType(flags.type) } : {}),
    ...(flags.topic ? { topic: flags.topic } : {}),
  };
  // The settings a run would use (config, flags, environment); no database is opened.
  const { notice, options, config } = runSettings(flags);
  io.err(notice);
  const sources = options.sources ?? [];
  try {
    await reportSkippedFiles(sources, io, options.licencePolicy);
    const clarify = clarifier(flags, io);
    const preview = await planRequest(given, {
      ...(options.models ? { models: options.models } : {}),
      sources,
      ...(options.licencePolicy ? { licencePolicy: options.licencePolicy } : {}),
      ...(config.research?.domainSources ? { domainSources: config.research.domainSources } : {}),
      ...(clarify ? { clarify } : {}),
      force,
    });
    if (flags.json) {
      io.out(JSON.stringify(preview));
      return 0;
    }
    const extra = [
      ...(flags.config ? [`--config ${flags.config}`] : []),
      ...(flags.corpus ?? []).map((d) => `--corpus ${d}`),
      ...(flags.provider ? [`--provider ${flags.provider}`] : []),
    ];
    const command = `synthforge generate ${JSON.stringify(preview.request)}${Object.keys(preview.answered).length ? ` --count ${preview.plan.count} --type ${preview.plan.trainingType} --topic ${JSON.stringify(preview.plan.topic)}` : ""}${extra.length ? ` ${extra.join(" ")}` : ""}`;
    for (const l of formatPreview(preview, command)) io.out(l);
    return 0;
  } finally {
    await Promise.allSettled(sources.map((s) => s.close?.()));
  }
}

/** `synthforge plan "<request>"`: what a run would do, without generating anything or writing a database. */
export function registerPlanCommand(program: Command, io: CliIO, setCode: (code: number) => void): void {
  program
    .command("plan")
    .description(
      'Show what a run would do, without generating anything: synthforge plan "Generate 50 DPO examples about acids and bases"',
    )
    .argument("[request]", "what to generate, in plain words")
    .option("-n, --count <n>", "number of approved examples")
    .option("-t, --type <type>", "training type (sft, dpo, ppo, grpo, rlhf, kto, orpo, chat, qa)")
    .option("--topic <topic>", "topic of the data")
    .option("-y, --yes", "take defaults for anything the request leaves out, without asking")
    .option("--force", "allow counts over 1,000,000")
    .option("-c, --config <file>", "config file (default ./synthforge.config.yaml when present)")
    .option(
      "--provider <name>",
      "auto (default), gemini, offline, or an OpenAI-compatible provider (ollama, lmstudio, vllm, llamacpp, openai, or one under providers: in the config)",
    )
    .option(
      "--model <role=model>",
      "model for an agent role, e.g. generation=gemini-2.5-pro (repeatable)",
      collect,
    )
    .option("--corpus <dir>", "research a local folder of md/txt/html/pdf notes (repeatable)", collect)
    .option("--json", "print the plan as one JSON object")
    .action(async (request: string | undefined, flags: PlanFlags) => setCode(await plan(request, flags, io)));
}
