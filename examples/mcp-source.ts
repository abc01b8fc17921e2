/**
 * An MCP server as a research source. The pipeline starts the small stdio server in
 * examples/mcp-source-server.ts (a `search` tool over study notes on honey bees, each note
 * with its licence), researches every question in it, and keeps each passage's source and
 * licence with the examples. Runs offline:
 *
 *     npx tsx examples/mcp-source.ts [database]
 *
 * The same source in synthforge.config.yaml, for the CLI:
 *
 *     sources:
 *       - { type: mcp, id: beeNotes, command: npx, args: [tsx, examples/mcp-source-server.ts], tool: search }
 */
import { fileURLToPath } from "node:url";
import { createPipeline, geminiModels, mcpSource, offlineModels, sqliteStore } from "synthforge";

const notes = mcpSource({
  id: "beeNotes", // stored as the adapter of every source row this server supplies
  description: "Study notes on honey bees (example MCP server)",
  // The server is a TypeScript file: run it with this process's Node and the same loader
  // flags (tsx's), so it starts the same way under `npx tsx` and `node --import tsx`.
  command: process.execPath,
  args: [...process.execArgv, fileURLToPath(new URL("./mcp-source-server.ts", import.meta.url))],
  tool: "search",
  arguments: { query: "{query}", limit: "{limit}" }, // {limit} keeps its type: a number
  // Used only for hits that state no licence of their own; every hit of this server does.
  licence: "CC-BY-4.0",
});

const pipeline = createPipeline({
  storage: sqliteStore({ path: process.argv[2] ?? "mcp-source.db" }),
  models: process.env.GEMINI_API_KEY ? geminiModels() : offlineModels(),
  sources: [notes], // add others beside it: corpusSource(), wikipediaSource(), ...
});

try {
  const summary = await pipeline.run("Generate 3 SFT examples about honey bees").done;
  console.log(`${summary.counts.approved}/${summary.counts.target} approved (${summary.status})`);

  // Where each approved example's ground truth came from: the server's notes, with licences.
  const questions = await pipeline.store.listQuestions(summary.runId);
  for (const q of questions.filter((q) => q.status === "approved")) {
    console.log(`\n${q.text}`);
    for (const s of q.contextSources ?? []) console.log(`  source: ${s.title} <${s.url}> ${s.licence}`);
  }
  console.log(
    `\nMCP server: started ${notes.stats().connections} time(s), ${notes.stats().toolCalls} tool call(s)`,
  );
} finally {
  await pipeline.close(); // also stops the MCP server
}
