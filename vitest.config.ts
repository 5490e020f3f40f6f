import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two cores: two test files at a time keeps the concurrency suites honest and the run short.
    maxWorkers: 2,
    pool: 'forks',
  },
})
