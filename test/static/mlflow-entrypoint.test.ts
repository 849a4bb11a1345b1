import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { interpolateModel, parseComposeText } from '../../tools/docs/src/compose.js';
import { repoFile } from './support/project.js';

// The compose MLflow's entrypoint runs here with /bin/sh and the system python3 in place of the image's `python`, and
// /bin/echo in place of `mlflow server`: the same shell script the container runs, on a real SQLite file.

/** The interpolated entrypoint of docker-compose.yml's mlflow service (`$$` already turned into `$`). */
function mlflowEntrypoint(): string[] {
  const model = interpolateModel([parseComposeText(repoFile('docker-compose.yml'), 'docker-compose.yml')]).model;
  const services = model.services as Record<string, { entrypoint?: unknown }>;
  return stringList(services.mlflow?.entrypoint);
}

function stringList(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((word) => typeof word === 'string'))
    throw new Error('mlflow has no entrypoint list');
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

  test('does not start MLflow when the store cannot be opened', () => {
    const missing = join(dir, 'no-such-dir', 'mlflow.db');
    const result = run(['/bin/echo', 'started', `sqlite:///${missing}`]);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('unable to open database file');
    expect(existsSync(missing)).toBe(false);
  });
});
