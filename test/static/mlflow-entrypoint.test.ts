import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { interpolateModel, parseComposeText } from '../../tools/docs/src/compose.js';
import { repoFile } from './support/project.js';

// The compose MLflow's entrypoint runs here with /bin/sh and the system python3 in place of the image's `python`, and
// /bin/echo or a stub `mlflow` in place of `mlflow server`: the script the container runs, on real SQLite files.

/** docker-compose.yml's interpolated mlflow service (`$$` already turned into `$`). */
function mlflowService(): { entrypoint?: unknown; command?: unknown } | undefined {
  const model = interpolateModel([parseComposeText(repoFile('docker-compose.yml'), 'docker-compose.yml')]).model;
  return (model.services as Record<string, { entrypoint?: unknown; command?: unknown }>).mlflow;
}

function mlflowEntrypoint(): string[] {
  return stringList(mlflowService()?.entrypoint);
}

function composeCommand(): string[] {
  return stringList(mlflowService()?.command);
}

function stringList(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((word) => typeof word === 'string')) throw new Error('not a list of words');
  return value;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlflow-entrypoint-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'python'), '#!/bin/sh\nexec python3 "$@"\n', { mode: 0o755 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the entrypoint with `command` appended, as Docker does. */
function run(command: string[]) {
  const [shell, ...args] = mlflowEntrypoint();
  const result = spawnSync(shell!, [...args, ...command], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin` },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function journalMode(file: string): unknown {
  const db = new DatabaseSync(file);
  try {
    return db.prepare('PRAGMA journal_mode').get()?.journal_mode;
  } finally {
    db.close();
  }
}

describe("docker-compose.yml's MLflow entrypoint", () => {
  test('puts the SQLite store in write-ahead-log mode, then runs the command with its arguments', () => {
    const file = join(dir, 'mlflow.db');
    const result = run(['/bin/echo', 'server', '--backend-store-uri', `sqlite:///${file}`, '--port', '5000']);
    expect(result).toMatchObject({ status: 0, stdout: `server --backend-store-uri sqlite:///${file} --port 5000\n` });
    expect(journalMode(file)).toBe('wal');
  });

  test('keeps WAL mode on a store that already holds data, and reads the file name before a query string', () => {
    const file = join(dir, 'existing.db');
    const db = new DatabaseSync(file);
    db.exec('CREATE TABLE runs (id TEXT); INSERT INTO runs VALUES (1)');
    db.close();
    expect(journalMode(file)).toBe('delete');
    expect(run(['/bin/echo', `sqlite:///${file}?timeout=20`]).status).toBe(0);
    expect(journalMode(file)).toBe('wal');
    const again = new DatabaseSync(file);
    expect(again.prepare('SELECT count(*) AS n FROM runs').get()?.n).toBe(1);
    again.close();
  });

  test('leaves any other store alone and still runs the command', () => {
    const result = run(['/bin/echo', '--backend-store-uri', 'postgresql://mlflow@postgres:5432/mlflow']);
    expect(result).toMatchObject({
      status: 0,
      stdout: '--backend-store-uri postgresql://mlflow@postgres:5432/mlflow\n',
    });
    expect(readdirSync(dir)).toEqual(['bin']);
  });

  test('creates a missing directory of the store as MLflow would, and reads the URI as SQLAlchemy does', () => {
    const spaced = join(dir, 'new dir', 'mlflow.db');
    const result = run(['/bin/echo', `--backend-store-uri=sqlite:///${dir}/new%20dir/mlflow.db`]);
    expect(result.status).toBe(0);
    expect(journalMode(spaced)).toBe('wal');
    expect(run(['/bin/echo', `sqlite+pysqlite:///${dir}/other.db`]).status).toBe(0);
    expect(journalMode(join(dir, 'other.db'))).toBe('wal');
  });

  test('does not start MLflow when the store cannot be opened', () => {
    writeFileSync(join(dir, 'a-file'), '');
    const result = run(['/bin/echo', 'started', `sqlite:///${dir}/a-file/mlflow.db`]);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Error/);
  });

  test("runs the service's own command: its SQLite file ends in WAL mode and mlflow gets every argument", () => {
    const data = join(dir, 'volume');
    const command = composeCommand().map((word) => word.replaceAll('/mlflow/', `${data}/`));
    writeFileSync(join(dir, 'bin', 'mlflow'), '#!/bin/sh\necho "mlflow $*"\n', { mode: 0o755 });
    const result = run(command);
    expect(result).toMatchObject({ status: 0, stdout: `${command.join(' ')}\n` });
    expect(command).toContain(`sqlite:///${data}/mlflow.db`);
    expect(journalMode(join(data, 'mlflow.db'))).toBe('wal');
  });
});
