import { describe, expect, it } from 'vitest';
import { serviceEnv } from '../src/stack.js';

const dirs = { nats: '/d/nats', mlflow: '/d/mlflow', logs: '/d/logs', datasets: '/d/datasets' };
const envOf = (base: NodeJS.ProcessEnv, predictor: number) =>
  serviceEnv(base, 'nats://127.0.0.1:4222', 'http://127.0.0.1:5000', dirs, { nats: 4222, mlflow: 5000, predictor });

describe('serviceEnv', () => {
  it('when the user sets no PREDICTOR_INSTANCE, then every start names the predictor the same, whatever its port', () => {
    const names = [8080, 41_234, 52_011].map((port) => envOf({ PATH: '/bin' }, port).PREDICTOR_INSTANCE);
    expect(names).toEqual(['predictor', 'predictor', 'predictor']);
  });

  it("when the user's environment sets PREDICTOR_INSTANCE, even empty, then it is passed on as set", () => {
    const names = ['eu-1', ''].map((name) => envOf({ PREDICTOR_INSTANCE: name }, 0).PREDICTOR_INSTANCE);
    expect(names).toEqual(['eu-1', '']);
  });

  it("when the user's environment has TRACKER_CONCURRENCY empty or unset, then the stack's own 4 is passed on", () => {
    const values = [{}, { TRACKER_CONCURRENCY: '' }].map((base) => envOf(base, 0).TRACKER_CONCURRENCY);
    expect(values).toEqual(['4', '4']);
  });

  it("when the user's environment sets TRACKER_CONCURRENCY, then it is passed on as set", () => {
    expect(envOf({ TRACKER_CONCURRENCY: '8' }, 0).TRACKER_CONCURRENCY).toBe('8');
  });
});
