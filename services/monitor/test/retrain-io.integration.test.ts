import { type Bus, connectBus } from '@mlops/bus';
import { PREDICTION_ENCODING, PREDICTION_PARTS_ENCODING, type PredictionLoggedData, SUBJECTS } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamFeatureSource } from '../src/adapters/retrain-io.js';
import { loadConfig } from '../src/config.js';
import { provisionMonitor } from '../src/entry-points/predictions.js';

const logger = createLogger({ service: 'retrain-io-test', level: 'silent' });
const config = loadConfig({ MONITOR_RETRAIN: 'false' }, '/srv');
const COLUMNS = 2;
let nats: NatsServerHandle;
let bus: Bus;

/** Row `row` of request `requestId` as logged: its two features tell the request and the row apart. */
const featuresOf = (requestId: string, row: number) => [requestId.length * 1000 + row, -row];

/** Publishes rows [firstRow, firstRow + rows) of a request of `requestRows` rows, as a part when they are not all. */
async function publishRows(requestId: string, firstRow: number, rows: number, requestRows: number, key?: string) {
  const pack = (values: number[]) => Buffer.from(Float64Array.from(values).buffer).toString('base64');
  const indexes = Array.from({ length: rows }, (_, i) => firstRow + i);
  const part = rows === requestRows ? {} : { first_row: firstRow, request_rows: requestRows };
  const data: PredictionLoggedData = {
    model: 'm',
    version: '1',
    requests: [{ request_id: requestId, predicted_at: new Date().toISOString(), rows, ...part }],
    rows,
    columns: COLUMNS,
    encoding: rows === requestRows ? PREDICTION_ENCODING : PREDICTION_PARTS_ENCODING,
    features: pack(indexes.flatMap((row) => featuresOf(requestId, row))),
    probabilities: pack(indexes.map(() => 0.5)),
    labels: pack(indexes.map(() => 1)),
    sample_rate: 1,
    dropped_before: 0,
  };
  await bus.publishEvent(SUBJECTS.predictionLogged, data, { key: key ?? `${requestId}@${firstRow}` });
}

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'retrain-io-test', logger });
  await provisionMonitor(bus, config.window.ms, config.streamMaxBytes);
}, 60_000);

afterAll(() => bus?.close().then(() => nats?.stop()));

describe('the logged features a retrain reads back', () => {
  it('when wanted requests were logged whole, in parts out of order (one part stored twice) or with a part missing, then each comes whole, and the incomplete one not at all', async () => {
    const since = Date.now();
    await publishRows('whole', 0, 2, 2);
    await publishRows('split', 4, 3, 7);
    await publishRows('split', 0, 4, 7);
    await publishRows('split', 4, 3, 7, 'split@4-stored-again');
    await publishRows('holed', 0, 2, 5);
    await publishRows('holed', 3, 2, 5);
    const found = await streamFeatureSource(bus).read('m', '1', since, new Set(['whole', 'split', 'holed']));
    expect([...found.keys()].sort()).toEqual(['split', 'whole']);
    const rowsOf = (id: string, n: number) => Array.from({ length: n }, (_, row) => featuresOf(id, row)).flat();
    expect(found.get('split')).toEqual({
      features: Float64Array.from(rowsOf('split', 7)),
      columns: 2,
      rawColumns: false,
    });
    expect([...(found.get('whole')?.features ?? [])]).toEqual(rowsOf('whole', 2));
  });
});
