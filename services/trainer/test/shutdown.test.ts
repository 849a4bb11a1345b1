import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import type { Stoppable, TrainerBus } from '../src/domain/ports.js';
import { createTrainer } from '../src/service.js';
import { testTrainerConfig } from './support/trainer-config.js';

/** A bus whose three consumers record when they are told to stop; the work consumer takes `workMs` to finish. */
function recordingBus(workMs: number) {
  const told: string[] = [];
  const part = (name: string, ms = 0): Stoppable => ({
    stop: async () => {
      told.push(name);
      await new Promise((resolve) => setTimeout(resolve, ms));
      told.push(`${name} done`);
    },
  });
  const bus = {
    provision: async () => {},
    serveTuneRequests: async () => part('intake'),
    consumeWork: () => part('work', workMs),
    consumeTrials: () => part('trials'),
    close: async () => void told.push('bus closed'),
  } as unknown as TrainerBus;
  return { bus, told };
}

describe('the trainer stopping', () => {
  it('when a tuning in hand takes a while to finish, then the trial consumer is told to stop at once, not after it', async () => {
    const { bus, told } = recordingBus(300);
    const config = { ...testTrainerConfig('nats://127.0.0.1:1', '/nowhere', 'stop-test'), trialThreads: 1 };
    const trainer = createTrainer(config, { bus, logger: createLogger({ service: 'stop-test', level: 'silent' }) });
    await trainer.start();
    await trainer.stop();
    expect(told.indexOf('trials')).toBeLessThan(told.indexOf('work done'));
    expect(told.indexOf('intake')).toBeLessThan(told.indexOf('work done'));
    expect(told.at(-1)).toBe('bus closed');
  });
});
