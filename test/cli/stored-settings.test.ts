/**
 * Which resume flags change a run's stored settings (`runs.config.settings`): --sources and
 * --licence-policy are compared like --corpus and the budgets, value by value (the same
 * value is no change; a different one is a change naming both).
 */
import { describe, expect, it } from "vitest";
import { applyResumeFlags, changesRefused, type StoredSettings } from "../../src/cli/stored-settings.js";

const stored = (config: StoredSettings["config"]): StoredSettings => ({
  version: 1,
  provider: "offline",
  batch: false,
  config,
});
const parse = {
  provider: () => "offline" as const,
  budget: () => ({}),
  concurrency: () => 8,
  typeOptions: () => ({}),
};
const apply = (s: StoredSettings, flags: Record<string, unknown>) =>
  applyResumeFlags(s, flags, new Set(Object.keys(flags)), parse);

describe("resume flags against stored settings", () => {
  it("--licence-policy: the same policy is no change, another one is", () => {
    const run = stored({ licencePolicy: "any", sources: [{ type: "corpus" }] });
    expect(apply(run, { licencePolicy: "any" }).changes).toEqual([]);
    const { changes, settings } = apply(run, { licencePolicy: "allow:CC-BY-NC-4.0,CC-BY-SA-4.0" });
    expect(changes).toEqual([
      { flag: "--licence-policy", stored: "any", given: "allow:CC-BY-NC-4.0,CC-BY-SA-4.0" },
    ]);
    expect(settings.config.licencePolicy).toEqual({
      base: "permissive",
      allow: ["CC-BY-NC-4.0", "CC-BY-SA-4.0"],
      deny: [],
    });
    // The stored settings themselves are left as they were.
    expect(run.config.licencePolicy).toBe("any");
    expect(changesRefused(changes).message).toMatch(
      /--licence-policy \(the run has any, you gave allow:CC-BY-NC-4\.0,CC-BY-SA-4\.0\)\. Pass --override/,
    );
  });

  it("--licence-policy permissive on a run that stored no policy (the default) is no change", () => {
    expect(apply(stored({ sources: [{ type: "corpus" }] }), { licencePolicy: "permissive" }).changes).toEqual(
      [],
    );
    expect(apply(stored({}), { licencePolicy: "any" }).changes).toEqual([
      { flag: "--licence-policy", stored: "permissive", given: "any" },
    ]);
  });

  it("--sources: the same ids are no change, others are; with --corpus they say the whole set", () => {
    const run = stored({ sources: [{ type: "wikipedia" }, { type: "arxiv" }] });
    expect(apply(run, { sources: "wikipedia,arxiv" }).changes).toEqual([]);
    const other = apply(run, { sources: "wikipedia" });
    expect(other.changes).toEqual([{ flag: "--sources", stored: "wikipedia, arxiv", given: "wikipedia" }]);
    expect(other.settings.config.sources).toEqual([{ type: "wikipedia" }]);
    const both = apply(run, { corpus: ["/data/notes"], sources: "wikipedia,arxiv" });
    expect(both.changes).toEqual([
      {
        flag: "--corpus/--sources",
        stored: "wikipedia, arxiv",
        given: "localFiles:/data/notes, wikipedia, arxiv",
      },
    ]);
    expect(() => apply(run, { sources: "wikipdia" })).toThrow(/--sources: unknown source "wikipdia"/);
  });

  it("flags the user did not type are not compared", () => {
    const run = stored({ licencePolicy: "any", sources: [{ type: "corpus" }] });
    const { changes } = applyResumeFlags(
      run,
      { licencePolicy: "permissive", sources: "wikipedia" },
      new Set(),
      parse,
    );
    expect(changes).toEqual([]);
  });
});
