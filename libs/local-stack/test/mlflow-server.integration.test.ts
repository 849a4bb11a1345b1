import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
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
  return [...parents.keys()].filter(isBelow).flatMap((pid) => {
    try {
      return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')];
    } catch {
      return []; // gone meanwhile
    }
  });
}

/** Opens a keep-alive connection, makes one request on it and leaves it open and idle (as a browser tab would). */
async function idleKeepAlive(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').startsWith('HTTP/1.1 200')) resolve();
    });
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  });
  return socket;
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

  it('when a client holds an idle connection, then stop() ends MLflow well inside the SIGKILL grace and cleans up', async () => {
    const server = await startMlflowServer({ workers: 2 });
    const pid = server.pid!;
    const socket = await idleKeepAlive(server.port);
    try {
      const started = performance.now();
      await server.stop();
      // The supervisor's SIGKILL comes after 10 s; gunicorn waits up to its graceful timeout (30 s by default).
      expect(performance.now() - started).toBeLessThan(8000);
      expect(descendantCommands(pid)).toEqual([]);
      expect(existsSync(server.dataDir)).toBe(false);
    } finally {
      socket.destroy();
    }
  }, 120_000);

  it('when started with basic auth in a directory of its own, then the password, databases and log are its user alone', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlflow-private-'));
    const dataDir = join(root, 'mlflow');
    const server = await startMlflowServer({
      dataDir,
      basicAuthAdminPassword: 'owner-only-pw-0600',
      logFile: join(root, 'm.log'),
    });
    try {
      const search = (headers: Record<string, string>) =>
        fetch(`${server.trackingUri}/api/2.0/mlflow/experiments/search?max_results=1`, { headers });
      const admin = { authorization: `Basic ${Buffer.from('admin:owner-only-pw-0600').toString('base64')}` };
      const modes = Object.fromEntries(
        [
          'mlflow',
          'mlflow/artifacts',
          'mlflow/basic_auth.ini',
          'mlflow/basic_auth.db',
          'mlflow/mlflow.db',
          'm.log',
        ].map((path) => [path, statSync(join(root, path)).mode & 0o777]),
      );

      expect(modes).toEqual({
        mlflow: 0o700,
        'mlflow/artifacts': 0o700,
        'mlflow/basic_auth.ini': 0o600,
        'mlflow/basic_auth.db': 0o600,
        'mlflow/mlflow.db': 0o600,
        'm.log': 0o600,
      });
      expect(readFileSync(join(dataDir, 'basic_auth.ini'), 'utf8')).toContain('admin_password = owner-only-pw-0600');
      expect([(await search({})).status, (await search(admin)).status]).toEqual([401, 200]);
    } finally {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});
