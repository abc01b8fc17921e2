/**
 * A small MCP server over stdio, built with @modelcontextprotocol/sdk: one tool, `search`,
 * over a few study notes on honey bees, each with its own licence. examples/mcp-source.ts
 * starts it and uses it as a research source; any MCP client can use it too:
 *
 *     npx tsx examples/mcp-source-server.ts          # speaks MCP on stdin/stdout
 *
 * The tool returns its hits as structured content, `{ results: [{ title, url, text,
 * authors, licence }] }`: synthforge's MCP source reads those fields, and keeps each
 * hit's `licence` with every passage taken from it.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

/** The documents the server serves (written for this example). */
const DOCUMENTS = [
  {
    title: "The honey bee colony",
    url: "https://bee-notes.example.org/colony",
    authors: ["Example Apiary Notes"],
    licence: "CC-BY-4.0",
    text: [
      "A honey bee colony is a single family of bees living together in one nest, usually with one queen, tens of thousands of female worker bees and, in summer, a few hundred male drones. A strong honey bee colony in summer can hold 40,000 to 60,000 bees.",
      "The queen bee is the only fertile female in the colony and lays up to 1,500 eggs a day in spring. The queen bee mates early in her life with a dozen or more drones on mating flights and stores their sperm for the rest of her life, which can last three to five years.",
      "Drones are the male honey bees; they have no sting, do not collect food, and exist to mate with queens from other colonies. Drones are driven out of the nest by the workers in autumn, when food becomes scarce.",
    ].join("\n\n"),
  },
  {
    title: "Worker bees and their duties",
    url: "https://bee-notes.example.org/workers",
    authors: ["Example Apiary Notes"],
    licence: "CC-BY-4.0",
    text: [
      "Worker bees are sterile females that change jobs as they age, a pattern called age polyethism. Young worker bees clean cells and feed larvae, middle-aged worker bees build comb and guard the entrance, and the oldest worker bees fly out as foragers.",
      "Beeswax is made by worker bees from eight wax glands on the underside of the abdomen. Worker bees shape the wax flakes into hexagonal cells, which hold brood, pollen and honey with the least wax for the space enclosed.",
      "A summer worker bee lives for about five to six weeks, and much of that short life is worn out by foraging flights. Worker bees that emerge in autumn live for several months, keeping the colony warm through the winter in a tight cluster.",
    ].join("\n\n"),
  },
  {
    title: "The waggle dance",
    url: "https://bee-notes.example.org/waggle-dance",
    authors: ["Example Apiary Notes"],
    licence: "CC0-1.0",
    text: [
      "The waggle dance is the way a forager honey bee tells her nestmates where she found food. Karl von Frisch decoded the waggle dance in the 1940s and shared the 1973 Nobel Prize in Physiology or Medicine for work on animal behaviour.",
      "The angle of the waggle run on the vertical comb gives the direction of the food relative to the sun, and the length of the waggle run gives the distance. A longer waggle run means a more distant flower patch, roughly one second of waggling for each kilometre.",
      "The round dance is used by honey bee foragers for food very close to the hive; the round dance says that food is near but gives little information about its direction.",
    ].join("\n\n"),
  },
  {
    title: "How bees make honey",
    url: "https://bee-notes.example.org/honey",
    authors: ["Example Apiary Notes"],
    licence: "CC-BY-4.0",
    text: [
      "Honey is made from flower nectar, a sugary liquid that foraging bees carry home in their honey stomach. Enzymes added by the bees, chiefly invertase, split the sucrose of nectar into glucose and fructose.",
      "Worker bees ripen honey by fanning their wings over open cells until the water content of the nectar falls from about 70 percent to below 20 percent. Ripe honey is sealed under a cap of beeswax, and its low water content and acidity keep microbes from growing in it.",
      "A colony needs honey as its winter food store: a honey bee colony in a cold climate may eat 20 to 30 kilograms of honey between autumn and spring. Beekeepers harvest only the honey beyond what the colony needs to survive the winter.",
    ].join("\n\n"),
  },
];

const server = new McpServer({ name: "bee-notes", version: "1.0.0" });

server.registerTool(
  "search",
  {
    description: "Search the bee notes. Returns the notes that share words with the query, best first.",
    inputSchema: { query: z.string().min(1), limit: z.number().int().min(1).optional() },
  },
  async ({ query, limit }) => {
    // A plain word match is enough here: synthforge ranks the passages again (BM25).
    const words = new Set(query.toLowerCase().match(/[a-z]{3,}/g) ?? []);
    const scored = DOCUMENTS.map((doc) => ({
      doc,
      score: (doc.text.toLowerCase().match(/[a-z]{3,}/g) ?? []).filter((w) => words.has(w)).length,
    }));
    const results = scored
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, Math.min(limit ?? 5, 20))
      .map((s) => s.doc);
    return {
      content: [{ type: "text", text: JSON.stringify(results) }],
      structuredContent: { results },
    };
  },
);

await server.connect(new StdioServerTransport());
