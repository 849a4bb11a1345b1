import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EVENT_MAP, isEventSubject, STREAMS } from '@mlops/contracts';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../tools/docs/src/docs.js';

/** Every TypeScript file under `dir` (relative to the repository), skipping builds and dependencies. */
function typescriptFiles(dir: string): string[] {
  const root = join(REPO_ROOT, dir);
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(REPO_ROOT, join(e.parentPath, e.name)))
    .filter((path) => !/(^|\/)(node_modules|dist)\//.test(path));
}

const THIS_FILE = 'test/static/event-map.test.ts';
const ALL = ['libs', 'services', 'cli', 'test', 'tools', 'bench']
  .flatMap(typescriptFiles)
  .filter((p) => p !== THIS_FILE);
/** Where events are defined and sent: the only files allowed to build envelopes or touch JetStream directly. */
const EVENT_LIBS = /^libs\/(contracts|bus)\/src\//;
const PRODUCTION = ALL.filter((p) => /^(libs\/[^/]+|services\/[^/]+|cli)\/src\//.test(p) && !EVENT_LIBS.test(p));

const SUBJECT_CAST = /\bas (Subject|EventSubject)\b/;
const HAND_MADE_ENVELOPE = /\bmakeEnvelope\s*\(/;
const UNCHECKED_JSON = /\.json<[^>]*>\s*\(/;
const DIRECT_NATS = /\.(publish|publishRaw|consumeRaw|subscribe)\s*\(/;

/** Lines of `files` matching `pattern`, as `path:line: text`. */
function offenders(files: readonly string[], pattern: RegExp): string[] {
  return files.flatMap((path) =>
    readFileSync(join(REPO_ROOT, path), 'utf8')
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('the typed event map is the only way events are published and read', () => {
  test('no file casts to a subject or builds an envelope by hand', () => {
    const outside = ALL.filter((p) => !EVENT_LIBS.test(p));
    expect(offenders(outside, SUBJECT_CAST)).toEqual([]);
    expect(offenders(outside, HAND_MADE_ENVELOPE)).toEqual([]);
  });

  test('no NATS message body is read with an unchecked json<T>() (MLflow REST answers are typed in libs/mlflow)', () => {
    const files = ALL.filter((p) => !p.startsWith('libs/mlflow/src/'));
    expect(offenders(files, UNCHECKED_JSON)).toEqual([]);
  });

  test('services, libraries and the CLI publish and subscribe only through the bus library', () => {
    expect(offenders(PRODUCTION, DIRECT_NATS)).toEqual([]);
    expect(offenders(PRODUCTION, /\bjetstream\s*\(|from '@nats-io\/jetstream'/)).toEqual([]);
  });

  test('the guards catch what they look for (a planted offender is found)', () => {
    const planted: [RegExp, string][] = [
      [SUBJECT_CAST, 'const s = name as Subject;'],
      [HAND_MADE_ENVELOPE, 'const e = makeEnvelope({ type, id, source, data });'],
      [UNCHECKED_JSON, 'const reply = msg.json<TuneReply>();'],
      [DIRECT_NATS, "await bus.publishRaw('x', '{}', { msgId });"],
      [DIRECT_NATS, 'nc.subscribe(subject, { callback });'],
    ];
    for (const [pattern, line] of planted) expect(pattern.test(line), line).toBe(true);
    expect(UNCHECKED_JSON.test('const body = parseEvent(subject, msg.json());')).toBe(false);
  });

  test('every event subject is captured by the stream the map names, and no stream claims another one', () => {
    for (const [subject, event] of Object.entries(EVENT_MAP)) {
      const owners = Object.values(STREAMS).filter((s) =>
        s.subjects.some((f) => f === subject || (f.endsWith('>') && subject.startsWith(f.slice(0, -1)))),
      );
      expect(
        owners.map((s) => s.name),
        subject,
      ).toEqual([event.stream]);
      expect(event.type).toBe(`mlops.${subject}.v1`);
      expect(isEventSubject(subject)).toBe(true);
    }
    expect(isEventSubject('tune.requested')).toBe(false);
  });
});
