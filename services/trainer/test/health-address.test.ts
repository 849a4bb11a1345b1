import { Writable } from 'node:stream';
import { createLogger } from '@mlops/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrainerBus } from '../src/domain/ports.js';
import { createTrainer } from '../src/service.js';
import { testTrainerConfig } from './support/trainer-config.js';

/** A bus that takes no work: the trainer starts and stops without a server. */
const idleBus = {
  provision: async () => {},
  serveTuneRequests: async () => ({ stop: async () => {} }),
  consumeWork: () => ({ stop: async () => {} }),
  consumeTrials: () => ({ stop: async () => {} }),
  close: async () => {},
} as unknown as TrainerBus;

/** A logger whose lines are kept, parsed. */
function keptLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'trainer', level: 'info', destination: sink }) };
}

let trainer: ReturnType<typeof createTrainer> | undefined;
afterEach(async () => {
  await trainer?.stop();
});

describe('the address of the health endpoint', () => {
  it('when TRAINER_HEALTH_PORT is 0, then the start-up line names the free port bound, where /health answers', async () => {
    const { lines, logger } = keptLogger();
    const config = { ...testTrainerConfig('nats://127.0.0.1:1', '/nowhere', 'health-test'), trials: 'inline' as const };
    trainer = createTrainer({ ...config, healthPort: 0 }, { bus: idleBus, logger });
    await trainer.start();
    const started = lines.find((line) => line.msg === 'trainer started');
    expect(started).toMatchObject({ health_host: '127.0.0.1', health_port: expect.any(Number) });
    expect(started?.health_port).not.toBe(0);
    const answer = await fetch(`http://127.0.0.1:${String(started?.health_port)}/health`);
    expect(answer.status).toBe(200);
  });
});
