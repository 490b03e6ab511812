import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // One addon instance per worker; forks keep a native crash from taking the runner down.
    pool: 'forks',
  },
});
