import { describe, expect, it, vi } from "vitest";
import { taskSessionService } from "../../src/agents/agent-task.js";

/**
 * Each agent task runs in a session of its own that is deleted when the task ends. The
 * task's session service deletes without deep-copying the session's events first (ADK's
 * own delete reads, and so copies, the whole session); the session must still be gone.
 */
describe("task sessions", () => {
  it("a deleted session, with its events, is gone; other sessions stay", async () => {
    const service = taskSessionService();
    const keep = await service.createSession({ appName: "synthforge", userId: "u" });
    const s = await service.createSession({ appName: "synthforge", userId: "u" });
    const stored = await service.getSession({ appName: "synthforge", userId: "u", sessionId: s.id });
    await service.appendEvent({
      session: stored!,
      event: {
        id: "e1",
        invocationId: "i1",
        author: "user",
        timestamp: Date.now(),
        actions: {
          stateDelta: {},
          artifactDelta: {},
          requestedAuthConfigs: {},
          requestedToolConfirmations: {},
        },
        content: { role: "user", parts: [{ text: "x".repeat(10_000) }] },
      } as never,
    });
    const before = await service.getSession({ appName: "synthforge", userId: "u", sessionId: s.id });
    expect(before?.events).toHaveLength(1);

    // Deleted without reading (and so copying) the session: if ADK's session table moves,
    // this fails while deleting still works through ADK's own delete.
    const read = vi.spyOn(service, "getSession");
    await service.deleteSession({ appName: "synthforge", userId: "u", sessionId: s.id });
    expect(read).not.toHaveBeenCalled();
    read.mockRestore();
    expect(await service.getSession({ appName: "synthforge", userId: "u", sessionId: s.id })).toBeUndefined();
    const left = await service.listSessions({ appName: "synthforge", userId: "u" });
    expect(left.sessions.map((x) => x.id)).toEqual([keep.id]);
    // Deleting what is not there (or not any more) is not an error.
    await service.deleteSession({ appName: "synthforge", userId: "u", sessionId: s.id });
    await service.deleteSession({ appName: "other", userId: "nobody", sessionId: "none" });
  });
});
