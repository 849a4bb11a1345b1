import { describe, expect, it } from 'vitest';
import { TIERS } from '../../vitest.config.js';
import { readRepoFile, repoTestFiles, serverUses, tiersOf } from './support/test-files.js';

// Which tier a test file runs in follows from its path (vitest.config.ts); these checks keep that honest.

describe('test tiers', () => {
  const files = repoTestFiles();

  it('when the repository is scanned, then it finds the test files of every tier', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toEqual(
      expect.arrayContaining([
        'libs/ml/test/saga.test.ts',
        'libs/mlflow/test/runs.integration.test.ts',
        'services/predictor/test/reload.component.test.ts',
        'test/e2e/pipeline.test.ts',
        'test/conventions/tiers.test.ts',
      ]),
    );
  });

  it('when each test file is matched against the tiers, then it belongs to exactly one', () => {
    const misplaced = files
      .map((file) => ({ file, tiers: tiersOf(file, TIERS) }))
      .filter(({ tiers }) => tiers.length !== 1)
      .map(({ file, tiers }) => `${file}: ${tiers.length === 0 ? 'no tier runs it' : `in ${tiers.join(' and ')}`}`);
    expect(misplaced).toEqual([]);
  });

  it('when a unit test and the test modules it imports are read, then none starts or expects real servers', () => {
    const unit = files.filter((file) => tiersOf(file, TIERS).includes('unit'));
    expect(unit).toContain('libs/mlflow/test/retry.test.ts');
    expect(unit.flatMap((file) => serverUses(file, readRepoFile))).toEqual([]);
  });

  it('when an integration test is read, then it does use real servers (else it belongs in unit)', () => {
    const integration = files.filter((file) => tiersOf(file, TIERS).includes('integration'));
    expect(integration).toContain('libs/bus/test/bus.integration.test.ts');
    expect(integration.filter((file) => serverUses(file, readRepoFile).length === 0)).toEqual([]);
  });
});

describe('the tier checks catch', () => {
  it.each([
    ['libs/ml/test/x.test.ts', ['unit']],
    ['services/predictor/test/deep/x.test.ts', ['unit']],
    ['cli/test/x.test.ts', ['unit']],
    ['test/conventions/x.test.ts', ['unit']],
    ['libs/bus/test/x.integration.test.ts', ['integration']],
    ['services/trainer/test/x.component.test.ts', ['integration']],
    ['test/fault/x.test.ts', ['system']],
    ['test/anything-new/x.test.ts', ['system']],
    ['libs/ml/test/x.spec.ts', []],
    ['tools/docs/src/x.test.ts', []],
    ['libs/ml/src/x.test.ts', []],
  ])('%s in %j', (file, tiers) => {
    expect(tiersOf(file, TIERS)).toEqual(tiers);
  });

  it('a unit test importing testkit or inject, also through a support module, but not an in-process server', () => {
    const files: Record<string, string> = {
      'libs/x/test/a.test.ts': "import { inject, it } from 'vitest';\n",
      'libs/x/test/b.test.ts': "import { it } from 'vitest';\nimport { start } from './support/stack.js';\n",
      'libs/x/test/support/stack.ts': "export { startNatsServer as start } from '@mlops/testkit';\n",
      'libs/x/test/c.test.ts': "const kit = await import('@mlops/testkit');\n",
      'libs/x/test/d.test.ts': "import { createServer } from 'node:http';\nimport { helper } from '../src/index.js';\n",
    };
    const uses = (file: string) => serverUses(file, (path) => files[path]);
    expect(uses('libs/x/test/a.test.ts')).toEqual([
      "libs/x/test/a.test.ts:1 imports inject from vitest (what a tier's global setup provides)",
    ]);
    expect(uses('libs/x/test/b.test.ts')).toEqual([
      'libs/x/test/support/stack.ts:1 imports @mlops/testkit (real servers)',
    ]);
    expect(uses('libs/x/test/c.test.ts')).toEqual(['libs/x/test/c.test.ts:1 imports @mlops/testkit (real servers)']);
    expect(uses('libs/x/test/d.test.ts')).toEqual([]);
  });
});
