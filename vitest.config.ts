import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run the TypeScript sources of every workspace package, never a stale dist/ (Vite resolves SSR separately).
  resolve: { conditions: ['@mlops/source'] },
  ssr: { resolve: { conditions: ['@mlops/source'], externalConditions: ['@mlops/source'] } },
  test: {
    include: ['libs/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'cli/test/**/*.test.ts', 'test/**/*.test.ts'],
    globals: false,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
  },
});
