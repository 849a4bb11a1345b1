import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GENERATED_DOCS, REPO_ROOT, staleDocs } from './docs.js';

/** `npm run docs`: writes every generated document; with `--check`, only reports stale ones (exit code 1). */
function main(argv: readonly string[]): number {
  if (argv.includes('--check')) {
    const stale = staleDocs();
    for (const doc of stale) process.stderr.write(`${doc.path} is stale: run npm run docs\n`);
    return stale.length === 0 ? 0 : 1;
  }
  for (const doc of GENERATED_DOCS) {
    const target = join(REPO_ROOT, doc.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, doc.render());
    process.stdout.write(`wrote ${doc.path}\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
