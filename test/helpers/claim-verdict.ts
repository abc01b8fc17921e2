import { lexicalClaimVerdict } from "../../src/agents/fact-check.js";
import { indexPassages } from "../../src/tools/claims.js";

/** The offline fact check's verdict on one claim against one source passage. */
export function verdictOf(passage: string, claim: string): string {
  const passages = [{ sourceId: "s1", text: passage }];
  return lexicalClaimVerdict({ id: 1, text: claim }, indexPassages(passages), passages).verdict;
}
