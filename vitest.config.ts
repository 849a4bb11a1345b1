import { configDefaults, defineConfig } from 'vitest/config';

// Three tiers, one vitest project each (`vitest run --project <name>`; npm run test:unit / test:integration /
// test:system). Where a test file belongs follows from its path alone, and test/conventions checks that every test
// file is in exactly one tier and that no unit test reaches for real servers:
// - unit: the tests of the workspace packages (libs/*, services/*, cli), and test/conventions. No servers: no global
//   setup, no @mlops/testkit; in-process HTTP servers and mocked sockets are fine.
// - integration: package tests named *.integration.test.ts (a library against real nats-server / MLflow) or
//   *.component.test.ts (one service, in process, against real servers).
// - system: everything else under test/: e2e, fault, load, security and static checks of the deployment files.

/** Where the workspace packages keep their tests. */
const PACKAGE_TEST_DIRS = ['libs/*/test', 'services/*/test', 'cli/test'];
/** File names of package tests that need real servers. */
const SERVER_TEST_FILES = ['*.integration.test.ts', '*.component.test.ts'];

/** The repository's test tiers, as vitest projects. */
export const TIERS = [
  {
    name: 'unit',
    include: [...PACKAGE_TEST_DIRS.map((dir) => `${dir}/**/*.test.ts`), 'test/conventions/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...SERVER_TEST_FILES.map((file) => `**/${file}`)],
  },
  {
    name: 'integration',
    include: PACKAGE_TEST_DIRS.flatMap((dir) => SERVER_TEST_FILES.map((file) => `${dir}/**/${file}`)),
    exclude: [...configDefaults.exclude],
    globalSetup: ['test/global-setup.ts'],
  },
  {
    name: 'system',
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/conventions/**'],
    globalSetup: ['test/global-setup.ts'],
  },
] as const;

export default defineConfig({
  // Tests run the TypeScript sources of every workspace package, never a stale dist/ (Vite resolves SSR separately).
  resolve: { conditions: ['@mlops/source'] },
  ssr: { resolve: { conditions: ['@mlops/source'], externalConditions: ['@mlops/source'] } },
  test: {
    globals: false,
    testTimeout: 60_000,
    projects: TIERS.map((tier) => ({
      extends: true,
      test: {
        name: tier.name,
        include: [...tier.include],
        exclude: [...tier.exclude],
        ...('globalSetup' in tier ? { globalSetup: [...tier.globalSetup] } : {}),
      },
    })),
  },
});
