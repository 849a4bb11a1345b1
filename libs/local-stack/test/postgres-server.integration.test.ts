import { existsSync } from 'node:fs';
import { LocalStackError, startPostgresServer } from '@mlops/local-stack';
import { describe, expect, it } from 'vitest';

describe('local stack: PostgreSQL', () => {
  it('when started, then its database answers its owner over TCP, and stop ends it and removes its directory', async () => {
    const server = await startPostgresServer({ database: 'probe', user: 'prober' });
    try {
      expect(server.url).toMatch(new RegExp(`^postgresql://prober:[0-9a-f]+@127\\.0\\.0\\.1:${server.port}/probe$`));
      expect(await server.query('select current_user, current_database()')).toBe('prober|probe');
      await server.query('create table t (x int); insert into t values (1), (2)');
      expect(await server.query('select count(*) from t')).toBe('2');
    } finally {
      await server.stop();
    }
    expect((await server.exited).code).toBe(0);
    expect(existsSync(server.dir)).toBe(false);
  });

  it('when no PostgreSQL programs are found, then the error is the install hint', async () => {
    const failure = await startPostgresServer({ binDir: '/nonexistent/bin' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(LocalStackError);
    expect((failure as Error).message).toMatch(/apt-get install -y postgresql/);
  });
});
