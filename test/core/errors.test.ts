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

describe("redactSecrets: the password field of a URL, nothing else", () => {
  it("keeps the password's characters where they occur elsewhere in the message", () => {
    expect(redactSecrets("postgres://u:p@127.0.0.1:5432/db: Connection terminated unexpectedly")).toBe(
      "postgres://u:[redacted]@127.0.0.1:5432/db: Connection terminated unexpectedly",
    );
    expect(redactSecrets("user e with password e: the server expected more")).toBe(
      "user e with password e: the server expected more",
    );
  });

  it("redacts a password that holds @, : or a raw /, and one without a user name", () => {
    for (const [url, shown] of [
      [
        "postgres://alice:p@ss:w0rd@db.example.com:5432/x",
        "postgres://alice:[redacted]@db.example.com:5432/x",
      ],
      ["postgresql://bob:a/b@host/db failed", "postgresql://bob:[redacted]@host/db failed"],
      ["postgres://:onlypw@host/db", "postgres://:[redacted]@host/db"],
      ["postgres://u:p%40ss@h:1/d?email=a@b.org", "postgres://u:[redacted]@h:1/d?email=a@b.org"],
    ]) {
      expect(redactSecrets(url!)).toBe(shown);
    }
  });

  it("leaves URLs without a password alone, and redacts password query parameters", () => {
    expect(redactSecrets("see https://example.com:8443/path and postgres://user@host/db")).toBe(
      "see https://example.com:8443/path and postgres://user@host/db",
    );
    expect(redactSecrets("postgresql://u@h/db?sslmode=require&password=topsecret")).toBe(
      "postgresql://u@h/db?sslmode=require&password=[redacted]",
    );
  });
});
