import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../tools/docs/src/docs.js';

const run = promisify(execFile);
const BIOME = join(REPO_ROOT, 'node_modules', '.bin', 'biome');
let sandbox: string;

interface Diagnostic {
  readonly category: string;
  readonly description: string;
}

/** Lints `source` as if it were the file `path` of the repository, under the repository's own biome.json. */
async function lintAs(path: string, source: string): Promise<Diagnostic[]> {
  const file = join(sandbox, path);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, source);
  const result = await run(BIOME, ['lint', '--reporter=json', path], { cwd: sandbox }).catch(
    (err: { stdout: string }) => err,
  );
  const report = JSON.parse(result.stdout) as { diagnostics: Diagnostic[] };
  return report.diagnostics.filter((d) => d.category === 'lint/style/noRestrictedImports');
}

beforeAll(async () => {
  sandbox = await mkdtemp(join(tmpdir(), 'layers-'));
  const config = JSON.parse(await readFile(join(REPO_ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>;
  delete config.$schema;
  await writeFile(join(sandbox, 'biome.json'), JSON.stringify({ ...config, vcs: { enabled: false } }));
});

afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

describe('layers (biome.json noRestrictedImports)', () => {
  test('domain/ may import its ports and pure libraries, never adapters/, entry-points/, NATS, MLflow or files', async () => {
    const source = [
      "import { a } from '../adapters/a.js';",
      "import { b } from '../entry-points/b.js';",
      "import { readFile } from 'node:fs/promises';",
      "import type { Bus } from '@mlops/bus';",
      "import type { MlflowClient } from '@mlops/mlflow';",
      "import type { Port } from './ports.js';",
      "import { expandGrid } from '@mlops/contracts';",
      'export const all: unknown[] = [a, b, readFile, expandGrid] as (Bus | MlflowClient | Port)[];',
      '',
    ].join('\n');
    const found = await lintAs('services/any/src/domain/rule.ts', source);
    expect(found.map((d) => d.description)).toEqual([
      expect.stringMatching(/domain\/ never imports adapters\/ or entry-points\//),
      expect.stringMatching(/domain\/ never imports adapters\/ or entry-points\//),
      expect.stringMatching(/files go in adapters/),
      expect.stringMatching(/NATS goes in adapters/),
      expect.stringMatching(/MLflow calls go in adapters/),
    ]);
  });

  test('adapters/ implement ports and never import entry-points/', async () => {
    const source =
      "import { e } from '../entry-points/e.js';\nimport { p } from '../domain/ports.js';\nexport const x = [e, p];\n";
    const found = await lintAs('services/any/src/adapters/thing.ts', source);
    expect(found.map((d) => d.description)).toEqual([expect.stringMatching(/never import entry-points/)]);
  });
});
