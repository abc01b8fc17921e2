import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Backstops only: tests wait for conditions (a process's exit, a row's status), and a
    // CLI test that chains several processes can take minutes on a loaded 2-core machine.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
