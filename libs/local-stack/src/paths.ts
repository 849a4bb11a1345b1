import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository checkout this package runs from (its src/ and dist/ both sit two levels below libs/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The project's own venv MLflow (`.venv/bin/mlflow`, pinned by scripts/setup.sh), the default binary. */
export function projectMlflowBinary(): string {
  return join(REPO_ROOT, '.venv', 'bin', 'mlflow');
}
