// Command-line options of bench/serve/run.js and the machine facts printed with every result.
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { wrkVersion } from './wrk.js';

const SERVER_NAMES = ['predictor', 'gunicorn', 'mlflow-serve', 'ceiling', 'predictor-invocations', 'predictor-log-off'];
/** `--log-compare`: the predictor with its prediction log on (the default) against the same with PREDICTOR_LOG_SAMPLE=0. */
const LOG_COMPARE_SERVERS = ['predictor', 'predictor-log-off'];
const DEFAULT_SERVERS = ['predictor', 'gunicorn', 'mlflow-serve', 'ceiling'];

function positive(name, text, integer = true) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${text}`);
  }
  return value;
}

function share(name, text) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 1) throw new Error(`--${name} must be in (0, 1], got ${text}`);
  return value;
}

function list(name, text, allowed) {
  const items = text.split(',').filter((s) => s !== '');
  const unknown = items.filter((s) => !allowed.includes(s));
  if (unknown.length > 0)
    throw new Error(`--${name}: unknown ${unknown.join(', ')} (choose from ${allowed.join(', ')})`);
  return items;
}

/**
 * Parses the flags: `--duration` and `--warmup` (seconds per measurement and before it), `--connections` (single
 * rows and the swap), `--batch-connections`, `--batch-rows`, `--swaps`, `--settle` (seconds of load before the
 * first and after the last swap), `--servers`, `--scenarios`, `--skip-swap`, `--workers` (PREDICTOR_WORKERS of our
 * predictor, default the core count), `--peer-workers`, `--worker-class`
 * (gunicorn's, a list: each is measured and the best counts), `--log-compare` (only the predictor with the prediction
 * log on and off, no swap), `--generator wrk|autocannon` (of the throughput measurements, default wrk when installed;
 * the swap always uses autocannon, which reads every answer), `--log-sample` (PREDICTOR_LOG_SAMPLE of the predictor, default 1), `--rounds N` (alternating on/off measurements per
 * scenario with `--log-compare`, default 3), `--json PATH`.
 */
export function readOptions(argv = process.argv.slice(2)) {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '32' },
      'batch-connections': { type: 'string', default: '8' },
      'batch-rows': { type: 'string', default: '1000' },
      swaps: { type: 'string', default: '10' },
      settle: { type: 'string', default: '1' },
      servers: { type: 'string', default: DEFAULT_SERVERS.join(',') },
      scenarios: { type: 'string', default: 'single,batch' },
      'skip-swap': { type: 'boolean', default: false },
      'peer-workers': { type: 'string', default: '2' },
      workers: { type: 'string', default: String(availableParallelism()) },
      'worker-class': { type: 'string', default: 'sync,gthread' },
      threads: { type: 'string', default: '4' },
      'log-compare': { type: 'boolean', default: false },
      'log-sample': { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      generator: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const generator = v.generator ?? (wrkVersion() === null ? 'autocannon' : 'wrk');
  if (generator !== 'wrk' && generator !== 'autocannon') {
    throw new Error(`--generator must be wrk or autocannon, got ${generator}`);
  }
  if (generator === 'wrk' && wrkVersion() === null)
    throw new Error('--generator wrk: wrk is not installed (apt-get install wrk)');
  return {
    duration: positive('duration', v.duration, false),
    warmup: v.warmup === '0' ? 0 : positive('warmup', v.warmup, false),
    connections: positive('connections', v.connections),
    batchConnections: positive('batch-connections', v['batch-connections']),
    batchRows: positive('batch-rows', v['batch-rows']),
    swaps: positive('swaps', v.swaps),
    settle: positive('settle', v.settle, false),
    servers: v['log-compare'] ? LOG_COMPARE_SERVERS : list('servers', v.servers, SERVER_NAMES),
    scenarios: list('scenarios', v.scenarios, ['single', 'batch']),
    skipSwap: v['skip-swap'] || v['log-compare'],
    logCompare: v['log-compare'],
    logSample: share('log-sample', v['log-sample']),
    rounds: positive('rounds', v.rounds),
    peerWorkers: positive('peer-workers', v['peer-workers']),
    workers: positive('workers', v.workers),
    workerClasses: list('worker-class', v['worker-class'], ['sync', 'gthread']),
    threads: positive('threads', v.threads),
    generator,
    json: v.json,
  };
}

/** Cores, CPU, Node, autocannon and wrk versions, and the 1-minute load average at the start and now. */
export function machineInfo(loadBefore) {
  const autocannon = createRequire(import.meta.url)('autocannon/package.json').version;
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    autocannon,
    wrk: wrkVersion(),
    loadAverage1m: { before: loadBefore, after: loadavg()[0] },
  };
}
