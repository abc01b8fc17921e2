import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import { openStore, postgresStore, redactDbUrl, sqliteStore } from "../../src/storage/typeorm-store.js";

function invalid(target: string): Error {
  try {
    openStore(target);
  } catch (e) {
    expect(isSynthforgeError(e, "DB_URL_INVALID"), String(e)).toBe(true);
    return e as Error;
  }
  throw new Error(`openStore(${JSON.stringify(target)}) did not throw`);
}

describe("openStore", () => {
  it("picks PostgreSQL for postgres:// and postgresql:// URLs, with the password redacted", () => {
    const a = openStore("postgres://user:pa55@db.example.com:5432/synth");
    expect(a.kind).toBe("postgres");
    expect(a.location).toBe("postgres://user:[redacted]@db.example.com:5432/synth");
    const b = openStore("postgresql://user@db.example.com/synth?sslmode=require&password=topsecret");
    expect(b.kind).toBe("postgres");
    expect(b.location).toBe("postgresql://user@db.example.com/synth?sslmode=require&password=[redacted]");
    expect(openStore("POSTGRES://h/db").kind).toBe("postgres");
  });

  it("picks SQLite for paths and sqlite: URLs", () => {
    const rel = openStore("data/synth.db");
    expect(rel.kind).toBe("sqlite");
    expect(rel.location).toBe(resolve("data/synth.db"));
    expect(openStore("sqlite:./x/y.db").location).toBe(resolve("x/y.db"));
    expect(openStore("sqlite:///var/tmp/abs.db").location).toBe("/var/tmp/abs.db");
    expect(openStore("sqlite://rel.db").location).toBe(resolve("rel.db"));
    expect(openStore("sqlite::memory:").location).toBe(":memory:");
    expect(openStore(":memory:").kind).toBe("sqlite");
    const abs = join(tmpdir(), "a.db");
    expect(openStore(abs).location).toBe(abs);
  });

  it("rejects other schemes and empty targets with DB_URL_INVALID naming what is accepted", () => {
    for (const target of [
      "mysql://root:pw@localhost/db",
      "http://x",
      "mongodb+srv://c/d",
      "file:/tmp/x.db",
      "",
      "  ",
      "sqlite:",
    ]) {
      const e = invalid(target);
      expect(e.message, target).toMatch(/SQLite file path/);
      expect(e.message, target).toMatch(/postgres:\/\//);
    }
    const e = invalid("mysql://root:hunter22@localhost/db");
    expect(e.message).toContain('scheme "mysql:"');
    expect(e.message).not.toContain("hunter22");
  });

  it("rejects a malformed PostgreSQL URL", () => {
    expect(() => postgresStore({ url: "postgres://[broken" })).toThrow(/not a valid URL/);
    expect(() => postgresStore({ url: "mysql://h/db" })).toThrow(/not a PostgreSQL URL/);
    expect(() => sqliteStore({ path: " " })).toThrow(/empty SQLite path/);
  });
});

describe("redactDbUrl", () => {
  it("hides passwords, keeps everything else", () => {
    expect(redactDbUrl("postgres://u:p%40ss@h:1/d")).toBe("postgres://u:[redacted]@h:1/d");
    expect(redactDbUrl("postgres://h/d")).toBe("postgres://h/d");
    expect(redactDbUrl("postgres://u@h/d?application_name=x")).toBe("postgres://u@h/d?application_name=x");
  });
});
