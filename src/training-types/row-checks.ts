import type { z } from "zod";

/** Small checks shared by the training types' validators. */

/** The zod problems of a row, as `path: message` lines. */
export function schemaProblems(schema: z.ZodType, row: unknown): string[] {
  const parsed = schema.safeParse(row);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".") || "(row)"}: ${i.message}`);
}

/** True when two texts are the same once case and whitespace are ignored. */
export function sameText(a: string, b: string): boolean {
  return a.replace(/\s+/g, " ").trim().toLowerCase() === b.replace(/\s+/g, " ").trim().toLowerCase();
}

/** Number of words of a text. */
export function wordCount(text: string): number {
  return text.trim() ? text.trim().split(/\s+/).length : 0;
}
