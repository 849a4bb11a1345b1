import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../tools/docs/src/docs.js';
import { SERVICES } from '../../../tools/docs/src/services.js';
import type { ComposeExpectations } from './compose-rules.js';
import { composeSchemaValidator } from './compose-schema.js';

/** A file of the repository, as text. */
export function repoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** The npm workspace directories (`libs/ml`, ..., `cli`), expanded from the root package.json globs. */
export function workspaceDirs(): string[] {
  const patterns = (JSON.parse(repoFile('package.json')) as { workspaces: string[] }).workspaces;
  return patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(REPO_ROOT, parent))
      .filter((entry) => statSync(join(REPO_ROOT, parent, entry, 'package.json'), { throwIfNoEntry: false }))
      .map((entry) => `${parent}/${entry}`);
  });
}

/** The MLflow version requirements.txt pins for the local stack. */
export function pinnedMlflowVersion(): string {
  const match = /^mlflow(?:\[[\w,]+\])?==(\S+)$/m.exec(repoFile('requirements.txt'));
  if (match === null) throw new Error('requirements.txt does not pin mlflow==<version>');
  return match[1]!;
}

/** What the real compose files are checked against. */
export function projectExpectations(): ComposeExpectations {
  return {
    services: SERVICES,
    dockerfile: repoFile('Dockerfile'),
    mlflowVersion: pinnedMlflowVersion(),
    validateSchema: composeSchemaValidator(),
  };
}
