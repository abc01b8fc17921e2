import { describe, expect, it } from "vitest";
import { redactSecrets, SynthforgeError } from "../../src/core/errors.js";

describe("redactSecrets", () => {
  it("removes API keys, URL passwords, key parameters and auth headers", () => {
    const key = "AIzaSyA1234567890abcdefghijklmnopqrstu";
    const text = `key ${key} postgres://user:hunter2@db:5432/x ?key=abc123&x=1 x-goog-api-key: sekret Authorization: Bearer tok123`;
    const out = redactSecrets(text);
    for (const secret of [key, "hunter2", "abc123", "sekret", "tok123"]) expect(out).not.toContain(secret);
    expect(out).toContain("postgres://user:[redacted]@db:5432/x");
  });

  it("redacts the key set in the environment, whatever its shape", () => {
    const before = process.env.GEMINI_API_KEY;
    process.env.GEMINI_API_KEY = "plain-test-key-0123456789";
    try {
      expect(new SynthforgeError("MODEL_ERROR", "bad key plain-test-key-0123456789").message).toBe(
        "bad key [redacted-key]",
      );
    } finally {
      if (before === undefined) delete process.env.GEMINI_API_KEY;
      else process.env.GEMINI_API_KEY = before;
    }
  });
});
