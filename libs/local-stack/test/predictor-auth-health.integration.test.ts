import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackEvent, startLocalStack } from '../src/index.js';

// The whole local stack with the predictor's health routes behind its bearer tokens (PREDICTOR_AUTH_HEALTH=true):
// its readiness probe, at start and after a restart, must show a token, and no message may name it.

const TOKEN = 'abcdefghijklmnop1234';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stack-auth-health-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('local stack with PREDICTOR_AUTH_HEALTH=true', () => {
  it('when health wants a token, then the stack starts, the predictor is ready, and a killed one is ready again', async () => {
    const said: string[] = [];
    const events: StackEvent[] = [];
    const stack = await startLocalStack({
      dataDir,
      ports: { nats: 0, mlflow: 0, predictor: 0 },
      env: {
        PATH: process.env.PATH ?? '',
        PREDICTOR_AUTH_TOKENS: `${TOKEN},another-token-0123456`,
        PREDICTOR_AUTH_HEALTH: 'true',
        PREDICTOR_WORKERS: '1', // one process: a SIGKILL leaves no worker holding the port
      },
      onProgress: (message) => said.push(message),
      onEvent: (event) => events.push(event),
    });
    try {
      const health = `${stack.predictorUrl}/health`;
      expect((await fetch(health)).status).toBe(401);
      expect((await fetch(health, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      expect(said).toContain('predictor ready');

      const predictor = stack.services.find((service) => service.name === 'predictor');
      process.kill(predictor?.pid as number, 'SIGKILL');
      const restarted = await until(
        'the predictor ready again',
        () => events.find((event) => event.type === 'restarted' && event.name === 'predictor'),
        90_000,
        100,
      );

      expect(restarted).toMatchObject({ type: 'restarted', name: 'predictor', restarts: 1 });
      expect(events.filter((event) => event.type === 'gave-up')).toEqual([]);
      expect(stack.state().processes.find((p) => p.name === 'predictor')).toMatchObject({ state: 'running' });
      expect((await fetch(health, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      const written = await readFile(stack.stateFile, 'utf8');
      expect([...said, ...events.map((event) => JSON.stringify(event)), written].join('\n')).not.toContain(TOKEN);
    } finally {
      await stack.stop();
    }
  }, 240_000);
});
