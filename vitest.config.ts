import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@mlops/source'] },
  test: {
    include: ['libs/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'cli/test/**/*.test.ts', 'test/**/*.test.ts'],
    globals: false,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
  },
});
