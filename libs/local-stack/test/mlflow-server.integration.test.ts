import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startMlflowServer } from '@mlops/local-stack';
import { describe, expect, it } from 'vitest';

/** The command lines of a process's descendants, from /proc (MLflow's CLI forks the server and its workers). */
function descendantCommands(root: number): string[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const isBelow = (pid: number): boolean => {
    const parent = parents.get(pid);
    return parent === root || (parent !== undefined && parent > 1 && isBelow(parent));
  };
  return [...parents.keys()]
    .filter(isBelow)
    .map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
}

describe('local stack: MLflow server', () => {
  it('when started by default, then its SQLite store is in WAL mode and the Flask app serves under gunicorn', async () => {
    const server = await startMlflowServer({ workers: 2 });
    try {
      const db = new DatabaseSync(join(server.dataDir, 'mlflow.db'), { readOnly: true });
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      db.close();
      const commands = descendantCommands(server.pid!);
      expect(commands.filter((c) => c.includes('gunicorn') && c.includes('mlflow.server:app'))).toHaveLength(3);
      expect(commands.some((c) => c.includes('uvicorn'))).toBe(false);
      const answer = await fetch(`${server.trackingUri}/api/2.0/mlflow/experiments/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ max_results: 1 }),
      });
      expect(answer.status).toBe(200);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
