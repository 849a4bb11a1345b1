import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const base = { NATS_URL: 'nats://127.0.0.1:4222' };

describe('the trainer configuration', () => {
  it('when TRAINER_INSTANCE is unset in a container, then each replica is named after its HOSTNAME', () => {
    expect(loadConfig({ ...base, HOSTNAME: 'c0ffee' }, '/srv').instance).toBe('trainer-c0ffee');
  });

  it('when TRAINER_INSTANCE is unset and there is no HOSTNAME, then the instance is trainer', () => {
    expect(loadConfig(base, '/srv').instance).toBe('trainer');
  });

  it('when TRAINER_INSTANCE is set, then it wins over HOSTNAME', () => {
    expect(loadConfig({ ...base, HOSTNAME: 'c0ffee', TRAINER_INSTANCE: 'trainer-b' }, '/srv').instance).toBe(
      'trainer-b',
    );
  });

  it('when TRAINER_INSTANCE is empty, then loading fails with the variable named', () => {
    expect(() => loadConfig({ ...base, TRAINER_INSTANCE: '' }, '/srv')).toThrow(/TRAINER_INSTANCE/);
  });
});
