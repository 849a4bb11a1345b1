import { describe, expect, it } from 'vitest';
import { chunkLogBatch, LOG_BATCH_LIMITS } from '../src/index.js';
import { freshExperiment, testClient, useCleanup } from './support.js';

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

describe('chunkLogBatch', () => {
  it('when a batch exceeds the count limits, then every chunk stays within 1000 metrics, 100 params, 100 tags, 1000 entities', () => {
    const chunks = chunkLogBatch({
      runId: 'r',
      params: Object.fromEntries(range(250).map((i) => [`p${i}`, String(i)])),
      tags: Object.fromEntries(range(150).map((i) => [`t${i}`, 'x'])),
      metrics: range(2500).map((i) => ({ key: `m${i % 7}`, value: i, timestamp: 1, step: i })),
    });

    for (const chunk of chunks) {
      expect(chunk.params.length).toBeLessThanOrEqual(100);
      expect(chunk.tags.length).toBeLessThanOrEqual(100);
      expect(chunk.metrics.length).toBeLessThanOrEqual(1000);
      expect(chunk.params.length + chunk.tags.length + chunk.metrics.length).toBeLessThanOrEqual(1000);
    }
    expect(chunks.flatMap((c) => c.params)).toHaveLength(250);
    expect(chunks.flatMap((c) => c.tags)).toHaveLength(150);
    expect(chunks.flatMap((c) => c.metrics).map((m) => m.step)).toEqual(range(2500));
  });

  it('when values are large, then every chunk stays under 1 MB of JSON', () => {
    const big = 'x'.repeat(6000);

    const chunks = chunkLogBatch({ runId: 'r', tags: Object.fromEntries(range(100).map((i) => [`t${i}`, big])) });
    const params = chunkLogBatch({ runId: 'r', params: Object.fromEntries(range(400).map((i) => [`p${i}`, big])) });

    expect(chunks).toHaveLength(1);
    for (const chunk of params) expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThan(LOG_BATCH_LIMITS.bytes);
    expect(params.length).toBeGreaterThanOrEqual(4);
  });

  it('when metrics are not finite or have no timestamp, then they are spelled as proto3 strings and stamped', () => {
    const [chunk] = chunkLogBatch(
      {
        runId: 'r',
        metrics: [
          { key: 'a', value: Number.NaN },
          { key: 'b', value: -Infinity, step: 3 },
        ],
      },
      1234,
    );

    expect(chunk?.metrics).toEqual([
      { key: 'a', value: 'NaN', timestamp: 1234, step: 0 },
      { key: 'b', value: '-Infinity', timestamp: 1234, step: 3 },
    ]);
  });

  it('when the batch is empty, then no request is planned', () => {
    expect(chunkLogBatch({ runId: 'r' })).toEqual([]);
  });
});

describe('logBatch', () => {
  const client = testClient();
  const cleanup = useCleanup();

  it('when a run gets 2500 metric points, 250 params and 120 tags, then all of them are stored', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });
    const params = Object.fromEntries(range(250).map((i) => [`param_${i}`, `value_${i}`]));
    const tags = Object.fromEntries(range(120).map((i) => [`tag_${i}`, `t${i}`]));
    const metrics = range(2500).map((i) => ({ key: `metric_${i % 1100}`, value: i / 10, timestamp: 5, step: i }));

    await client.logBatch({ runId: info.runId, params, tags, metrics });
    const run = await client.getRun(info.runId);

    expect(run.data.params).toEqual(params);
    expect(run.data.tags).toMatchObject(tags);
    expect(run.data.metrics).toHaveLength(1100);
    const history = await client.getMetricHistory(info.runId, 'metric_7');
    expect(history.map((m) => m.step).sort((a, b) => a - b)).toEqual([7, 1107, 2207]);
    const latestSteps = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.step]));
    expect(latestSteps).toEqual(
      Object.fromEntries(range(1100).map((k) => [`metric_${k}`, k + (k < 300 ? 2200 : 1100)])),
    );
  });
});
