import { describe, expect, it } from 'vitest';
import { readRepoFile } from './support/test-files.js';

describe('the Node the tests run on', () => {
  it('when the tests run, then it is at least the major of .node-version (scripts/setup.sh brings it when older)', () => {
    const wanted = Number(readRepoFile('.node-version')!.trim().split('.')[0]);
    expect(wanted).toBeGreaterThanOrEqual(24);
    expect(Number(process.versions.node.split('.')[0]), `running on ${process.execPath}`).toBeGreaterThanOrEqual(
      wanted,
    );
  });
});
