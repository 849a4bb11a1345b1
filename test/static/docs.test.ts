import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEAD_LETTER_STREAM } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { MLFLOW_CLIENT_VARIABLES, mlflowOptionsFromEnv } from '@mlops/mlflow';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { interpolateModel, parseComposeText } from '../../tools/docs/src/compose.js';
import { renderConfiguration } from '../../tools/docs/src/configuration.js';
import { REPO_ROOT, staleDocs } from '../../tools/docs/src/docs.js';
import { CONSUMER_DOCS } from '../../tools/docs/src/event-roles.js';
import { renderEvents, streamOf, subjectMatches } from '../../tools/docs/src/events.js';
import { SERVICES, type ServiceSpec } from '../../tools/docs/src/services.js';
import { repoFile } from './support/project.js';

describe('generated docs', () => {
  test('docs/events.md and docs/configuration.md are current (else: npm run docs)', () => {
    const stale = staleDocs().map((doc) => doc.path);
    expect(stale, `stale: ${stale.join(', ')}; regenerate with npm run docs`).toEqual([]);
  });

  test('configuration.md follows the schemas: a new variable appears, a required one is marked', () => {
    const extended: ServiceSpec[] = SERVICES.map((spec) =>
      spec.name === 'predictor'
        ? {
            ...spec,
            configSchema: spec.configSchema.safeExtend({
              PREDICTOR_NATS_CREDS: z.string().min(1).describe('NATS credentials file'),
            }),
          }
        : spec,
    );
    const compose = interpolateModel([parseComposeText(repoFile('docker-compose.yml'), 'docker-compose.yml')]);
    const text = renderConfiguration({ services: extended, compose });
    expect(text).toContain('| `PREDICTOR_NATS_CREDS` | **required** | non-empty text | NATS credentials file |');
  });

  test('configuration.md lists every variable of every service, and MLflow client variables where they are read', () => {
    const text = repoFile('docs/configuration.md');
    for (const spec of SERVICES) {
      const section = text.split(`## ${spec.name}\n`)[1]!.split('\n## ')[0]!;
      for (const name of Object.keys(spec.configSchema.shape)) expect(section).toContain(`| \`${name}\` |`);
      for (const v of MLFLOW_CLIENT_VARIABLES) expect(section.includes(`| \`${v.name}\` |`)).toBe(spec.mlflowClient);
    }
  });

  test('events.md covers every subject with its stream and schema', () => {
    const text = renderEvents();
    for (const subject of Object.values(SUBJECTS)) {
      expect(text).toContain(`### \`${subject}\``);
      expect(text).toContain(`JSON Schema of <code>${subject}</code>`);
    }
    expect(streamOf(SUBJECTS.runCompleted)).toBe(STREAMS.tuningEvents.name);
    expect(streamOf(SUBJECTS.tuneRequested)).toBeUndefined();
  });

  test('NATS wildcard matching', () => {
    expect(subjectMatches('run.>', 'run.completed')).toBe(true);
    expect(subjectMatches('run.>', 'run')).toBe(false);
    expect(subjectMatches('run.*', 'run.a.b')).toBe(false);
    expect(subjectMatches('run.*', 'run.a')).toBe(true);
    expect(subjectMatches('tuning.started', 'tuning.completed')).toBe(false);
  });
});

describe('MLflow client variables', () => {
  test('mlflowOptionsFromEnv reads exactly MLFLOW_TRACKING_URI and MLFLOW_CLIENT_VARIABLES', () => {
    const read = new Set<string>();
    const env = new Proxy<Record<string, string | undefined>>(
      { MLFLOW_TRACKING_URI: 'http://mlflow:5000' },
      {
        get(target, key) {
          read.add(String(key));
          return Reflect.get(target, key);
        },
      },
    );
    mlflowOptionsFromEnv(env);
    expect([...read].sort()).toEqual(['MLFLOW_TRACKING_URI', ...MLFLOW_CLIENT_VARIABLES.map((v) => v.name)].sort());
  });

  test.each(SERVICES.map((s) => [s.name, s] as const))('%s: mlflowClient matches what loadConfig does', (_n, spec) => {
    const config = spec.loadConfig({ MLFLOW_TRACKING_TOKEN: 'secret-token' }) as { mlflow?: { token?: string } };
    expect(config.mlflow?.token === 'secret-token').toBe(spec.mlflowClient);
  });
});

describe('hand-written docs', () => {
  test('architecture.md names every subject, stream and durable consumer', () => {
    const text = repoFile('docs/architecture.md');
    const names = [
      ...Object.values(SUBJECTS),
      ...Object.values(STREAMS).map((s) => s.name),
      DEAD_LETTER_STREAM.name,
      ...CONSUMER_DOCS.map((c) => c.durable.replace('<PREDICTOR_INSTANCE>', 'INSTANCE')),
    ];
    expect(names.filter((name) => !text.includes(name))).toEqual([]);
  });

  test('README keeps the two quick-start commands and links only to files that exist', () => {
    const readme = repoFile('README.md');
    expect(readme).toMatch(/^bash scripts\/up\.sh\b/m);
    expect(readme).toMatch(/^bash scripts\/setup\.sh && npm test\b/m);
    expect(readme).toContain('docker compose up');
    const links = [...readme.matchAll(/\]\(((?:docs|services|libs)\/[^)#\s]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !existsSync(join(REPO_ROOT, link)))).toEqual([]);
  });
});
