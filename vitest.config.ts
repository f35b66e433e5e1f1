import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/**/*.test.ts",
      "src/**/*.test.ts",
      "federation/**/*.test.ts",
      "workers/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only contend.
    maxWorkers: 2,
    pool: "forks",
  },
});
