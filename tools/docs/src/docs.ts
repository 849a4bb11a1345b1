import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCompose } from './compose.js';
import { renderConfiguration } from './configuration.js';
import { renderEvents } from './events.js';
import { SERVICES } from './services.js';

/** The repository root (tools/docs/src or tools/docs/dist are three levels below it). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The compose file `docker compose up` uses. */
export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');

/** A generated document: its path under the repository root and how to render it. */
export interface GeneratedDoc {
  readonly path: string;
  render(): string;
}

/** Every generated document. */
export const GENERATED_DOCS: readonly GeneratedDoc[] = [
  { path: 'docs/events.md', render: renderEvents },
  {
    path: 'docs/configuration.md',
    render: () => renderConfiguration({ services: SERVICES, compose: loadCompose([COMPOSE_FILE]) }),
  },
];

/** The generated documents whose checked-in text differs from what the sources produce now. */
export function staleDocs(): { path: string; expected: string; actual: string | undefined }[] {
  return GENERATED_DOCS.flatMap((doc) => {
    const expected = doc.render();
    let actual: string | undefined;
    try {
      actual = readFileSync(join(REPO_ROOT, doc.path), 'utf8');
    } catch {
      actual = undefined;
    }
    return actual === expected ? [] : [{ path: doc.path, expected, actual }];
  });
}
