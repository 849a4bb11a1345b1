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

  it('when TRAINER_HEALTH_HOST is empty or no host, then loading fails naming it (listen would bind every interface)', () => {
    expect(() => loadConfig({ ...base, TRAINER_HEALTH_HOST: '' }, '/srv')).toThrow(
      'TRAINER_HEALTH_HOST: is empty: unset it to bind 127.0.0.1',
    );
    expect(() => loadConfig({ ...base, TRAINER_HEALTH_HOST: 'not a host' }, '/srv')).toThrow(
      'TRAINER_HEALTH_HOST: is neither an IP address nor a host name',
    );
  });

  it('when TRAINER_INSTANCE is empty, then loading fails with the variable named', () => {
    expect(() => loadConfig({ ...base, TRAINER_INSTANCE: '' }, '/srv')).toThrow(/TRAINER_INSTANCE/);
  });

  it('when TRAINER_SNAPSHOT_MAX_BYTES is unset, then dataset snapshots may take 1 GiB; 0 keeps none; a negative size is refused', () => {
    expect(loadConfig(base, '/srv').snapshotMaxBytes).toBe(1024 ** 3);
    expect(loadConfig({ ...base, TRAINER_SNAPSHOT_MAX_BYTES: '0' }, '/srv').snapshotMaxBytes).toBe(0);
    expect(() => loadConfig({ ...base, TRAINER_SNAPSHOT_MAX_BYTES: '-1' }, '/srv')).toThrow(
      /TRAINER_SNAPSHOT_MAX_BYTES/,
    );
  });

  it('when TRAINER_TRIAL_TIMEOUT_SECONDS is unset, then a queued trial may run for an hour', () => {
    expect(loadConfig(base, '/srv').trialTimeoutMs).toBe(3_600_000);
  });

  it('when TRAINER_TRIAL_TIMEOUT_SECONDS is a fraction, then the limit is that many seconds in ms', () => {
    expect(loadConfig({ ...base, TRAINER_TRIAL_TIMEOUT_SECONDS: '0.25' }, '/srv').trialTimeoutMs).toBe(250);
  });

  it('when TRAINER_TRIAL_TIMEOUT_SECONDS is 0 or past the longest timer, then loading fails with the variable named', () => {
    const refused = ['0', '-5', 'soon', '2147484'].map((value) => {
      try {
        loadConfig({ ...base, TRAINER_TRIAL_TIMEOUT_SECONDS: value }, '/srv');
        return `${value}: accepted`;
      } catch (err) {
        return /TRAINER_TRIAL_TIMEOUT_SECONDS/.test((err as Error).message) ? `${value}: refused` : String(err);
      }
    });

    expect(refused).toEqual(['0: refused', '-5: refused', 'soon: refused', '2147484: refused']);
  });
});
