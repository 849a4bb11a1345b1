import { Writable } from 'node:stream';
import type { Bus } from '@mlops/bus';
import type { MlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createTracker } from '../src/service.js';

const stoppable = { stop: async () => {} };

/** A bus that provisions nothing and delivers nothing: the tracker starts and stops without a server. */
const idleBus = {
  ensureDeadLetterStream: async () => {},
  ensureStream: async () => {},
  ensureConsumer: async () => {},
  consumeEvents: async () => stoppable,
  serve: async () => stoppable,
  close: async () => {},
} as unknown as Bus;

/** An MLflow client never called: the tracker only names its address at start. */
const unusedMlflow = { trackingUri: 'http://127.0.0.1:1' } as unknown as MlflowClient;

/** A logger whose lines are kept, parsed. */
function keptLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'tracker', level: 'info', destination: sink }) };
}

let tracker: ReturnType<typeof createTracker> | undefined;
afterEach(async () => {
  await tracker?.stop();
});

describe('the address of the health endpoint', () => {
  it('when TRACKER_HEALTH_PORT is 0, then the start-up line names the free port bound, where /health answers', async () => {
    const { lines, logger } = keptLogger();
    const config = loadConfig({ TRACKER_HEALTH_PORT: '0' });
    tracker = createTracker(config, { bus: idleBus, logger, mlflow: unusedMlflow });
    await tracker.start();
    const started = lines.find((line) => line.msg === 'tracker started');
    expect(started).toMatchObject({ health_host: '127.0.0.1', health_port: expect.any(Number) });
    expect(started?.health_port).not.toBe(0);
    const answer = await fetch(`http://127.0.0.1:${String(started?.health_port)}/health`);
    expect(answer.status).toBe(200);
  });
});
