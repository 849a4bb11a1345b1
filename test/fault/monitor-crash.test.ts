import { connectBus } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { buildWorld, logTraffic, registerWorldModel, until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { FaultStack } from './support/stack.js';

let stack: FaultStack;
const logger = createLogger({ service: 'monitor-crash-test', level: 'silent' });

beforeAll(async () => {
  stack = await FaultStack.start({
    mlflowUri: inject('mlflowTrackingUri'),
    services: ['monitor'],
    env: { monitor: { MONITOR_WINDOW_ROWS: '500', MONITOR_WINDOW_SECONDS: '5', MONITOR_RETRAIN: 'false' } },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** Every window the monitor stored for a model (the MONITOR stream de-duplicates re-published windows). */
async function windowsOf(model: string, version?: string) {
  const messages = await stack.streamMessages('MONITOR');
  return messages
    .filter((m) => m.subject === SUBJECTS.monitorWindow)
    .map((m) => (m.body as { data: { model: string; version: string; window: number; rows: number } }).data)
    .filter((w) => w.model === model && (version === undefined || w.version === version));
}

describe('fault: the monitor crashes in the middle of a window', () => {
  it('when the monitor is SIGKILLed with a window half full and restarted, then every logged row is counted exactly once', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const world = buildWorld();
    const version = await registerWorldModel(stack.mlflow, world, stack.modelName);
    const bus = await connectBus({ servers: stack.natsUrl, name: 'monitor-crash-client', logger });
    const traffic = { model: stack.modelName, version, perRequest: 50 };
    try {
      await logTraffic(bus, world, { ...traffic, from: 0, rows: 1000, tag: 'a' });
      await until(
        '2 windows',
        async () => ((await windowsOf(stack.modelName)).length >= 2 ? true : undefined),
        60_000,
        100,
      );
      await logTraffic(bus, world, { ...traffic, from: 1000, rows: 350, tag: 'b' });
      await new Promise((resolve) => setTimeout(resolve, 300)); // delivered and held, its window not closed (5 s)
      await stack.killService('monitor');
      await logTraffic(bus, world, { ...traffic, from: 1350, rows: 650, tag: 'c' });
      await stack.startService('monitor');
      const windows = await until(
        'all 2,000 rows in windows',
        async () => {
          const found = await windowsOf(stack.modelName);
          return found.reduce((sum, w) => sum + w.rows, 0) >= 2000 ? found : undefined;
        },
        120_000,
        250,
      );
      await new Promise((resolve) => setTimeout(resolve, 6000)); // a window more would close by now
      const final = await windowsOf(stack.modelName);
      const indices = final.map((w) => w.window).sort((a, b) => a - b);
      console.info(`after the SIGKILL: ${final.length} windows, rows ${final.map((w) => w.rows).join(', ')}`);
      expect(final.reduce((sum, w) => sum + w.rows, 0)).toBe(2000);
      expect(indices).toEqual(indices.map((_, i) => i));
      expect(final.length).toBe(windows.length);
    } finally {
      await bus.close();
    }
  }, 300_000);

  it('when the monitor is SIGKILLed while a message split across two windows is half counted, then its other rows are counted once', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const world = buildWorld();
    const version = await registerWorldModel(stack.mlflow, world, stack.modelName);
    const bus = await connectBus({ servers: stack.natsUrl, name: 'monitor-split-client', logger });
    const traffic = { model: stack.modelName, version };
    try {
      // One 700-row message: window 0 takes 500 of its rows; the other 200 wait, unacknowledged, in window 1.
      await logTraffic(bus, world, { ...traffic, from: 0, rows: 700, perRequest: 700, tag: 's' });
      await until('window 0', async () => ((await windowsOf(stack.modelName, version)).length >= 1 ? true : undefined));
      await stack.killService('monitor');
      // 300-row messages while it is down: the second one is split too, before the first split message comes back.
      await logTraffic(bus, world, { ...traffic, from: 700, rows: 800, perRequest: 300, tag: 't' });
      await stack.startService('monitor');
      await until(
        'all 1,500 rows in windows',
        async () => {
          const found = await windowsOf(stack.modelName, version);
          return found.reduce((sum, w) => sum + w.rows, 0) >= 1500 ? found : undefined;
        },
        120_000,
        250,
      );
      await new Promise((resolve) => setTimeout(resolve, 6000)); // a window more would close by now
      const final = await windowsOf(stack.modelName, version);
      console.info(`split message, after the SIGKILL: rows ${final.map((w) => w.rows).join(', ')}`);
      // 700 + 800 rows; counting the split message again from its start would make 2,000. Its 200 rows come back
      // only after the ack wait, so the 300-row messages fill the windows before them.
      expect(final.reduce((sum, w) => sum + w.rows, 0)).toBe(1500);
      expect(final.map((w) => w.window)).toEqual(final.map((_, i) => i));
      expect(final[0]?.rows).toBe(500);
      expect(Math.max(...final.map((w) => w.rows))).toBe(500);
    } finally {
      await bus.close();
    }
  }, 300_000);
});
