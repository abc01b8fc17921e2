import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.js";
import { retryTransient } from "../../src/pipeline/worker.js";

/**
 * Two workers started together both create the run queue, and PostgreSQL can abort one
 * of them as a deadlock victim (seen in `examples/workers.ts`: error 40P01 from pg-boss's
 * `createQueue`). A deadlock cannot be produced on demand, so the errors here are made
 * with PostgreSQL's codes.
 */
const pgError = (code: string) => Object.assign(new Error(`pg error ${code}`), { code });

describe("worker start-up retries what PostgreSQL says to retry", () => {
  it("retries a deadlock, a serialization failure and a racing insert until the call succeeds", async () => {
    const codes = ["40P01", "40001", "23505"];
    let calls = 0;
    const value = await retryTransient(async () => {
      const code = codes[calls++];
      if (code) throw pgError(code);
      return "queue ready";
    }, silentLogger);
    expect(value).toBe("queue ready");
    expect(calls).toBe(4);
  });

  it("throws any other error at once, and a transient one after the last attempt", async () => {
    let calls = 0;
    await expect(
      retryTransient(async () => {
        calls++;
        throw pgError("42P01");
      }, silentLogger),
    ).rejects.toThrow("42P01");
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw pgError("40P01");
        },
        silentLogger,
        3,
      ),
    ).rejects.toThrow("40P01");
    expect(calls).toBe(3);
  });
});
