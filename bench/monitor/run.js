// Monitor throughput benchmark (issue 13, "Measured"): how many logged prediction rows per second the monitor
// service counts into 500-row windows with their drift statistics, on one core, and Evidently computing the same
// per-window drift in batch over the same rows, same run, same core.
//
//   npm run bench:monitor                                   # 200,000 rows in 1000- and 100-row requests, 20,000 in 1-row
//   npm run bench:monitor -- --shapes 100 --mlflow-runs false   # one case, a quick look
//   npm run bench:monitor -- --cpu-prof                     # also V8 CPU profiles of the monitor, summarized
//   npm run bench:monitor -- --json                         # the whole result as JSON on stdout
//
// Per case (request shape × MONITOR_MLFLOW_RUNS): a private nats-server (temporary store) is pre-filled, untimed,
// with the rows as `prediction.logged` messages (@mlops/testkit's logTraffic, the predictor's format), then the
// monitor runs as its own process (`node services/monitor/dist/main.js`, pinned with `taskset -c <core>`; nats-server
// is pinned to the other cores). The clock starts when its /ready answers 200 (it starts consuming just before;
// rows it counted by then are subtracted) and stops when the `monitor.window` events it published (heard on core
// NATS) add up to every pre-filled row: the monitor's pace. With MLflow runs on, a second clock stops when MLflow
// holds every window (the monitor writes them from the MONITOR stream, behind its windows). The monitor's CPU time is
// read from /proc/<pid>/stat at both ends (the last). MLflow
// (one temporary server for the run) holds one registered version per case, with its reference profile.
// The peers run afterwards on the same core: Evidently's stat tests per column per window (and, for a few windows,
// its Report(DataDriftPreset)), and our own drift code in batch, over the first --peer-rows rows.
// Needs the build (`npx tsc -b`), nats-server, and the venv (requirements-bench.txt is pip-installed when missing).
// Exit status 0 whatever the figures; 1 when a case fails.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, endianness, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePythonPeers } from '../serve/python-env.js';
import { summarizeProfile } from './profile.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const VENV_PYTHON = join(ROOT, '.venv', 'bin', 'python');
const MODEL_NAME = 'Bench_Monitor';
const GOAL_ROWS_PER_S = 50_000;
/** Rows of the world's traffic (buildWorld serves 60,000 rows); pre-filled chunks cycle through them. */
const TRAFFIC_ROWS = 60_000;

const { values: flags } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    'single-rows': { type: 'string', default: '20000' },
    shapes: { type: 'string', default: '1000,100,1,1000x1' },
    'mlflow-runs': { type: 'string', default: 'false,true' },
    'window-rows': { type: 'string', default: '500' },
    core: { type: 'string', default: '0' },
    'peer-rows': { type: 'string', default: '20000' },
    'report-windows': { type: 'string', default: '3' },
    'timeout-s': { type: 'string', default: '300' },
    'cpu-prof': { type: 'boolean', default: false },
    'skip-peers': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

function log(message) {
  process.stderr.write(`${message}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Clean-up of what this benchmark started (servers, the monitor, temporary directories), also on Ctrl-C.

const cleanups = [];
const onCleanUp = (fn) => {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    await fn();
  };
  cleanups.unshift(once);
  return once;
};
async function cleanUp() {
  while (cleanups.length > 0) {
    const fn = cleanups.shift();
    try {
      await fn();
    } catch (error) {
      log(`bench:monitor: clean-up failed: ${error.message}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`\nbench:monitor: ${signal}; stopping what it started...`);
    void cleanUp().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Processes: pinning, CPU time from /proc.

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
const HAS_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const OTHER_CORES = Array.from({ length: availableParallelism() }, (_, i) => i)
  .filter((i) => String(i) !== flags.core)
  .join(',');

/** utime + stime of a process, in seconds (from /proc/<pid>/stat); null when it is gone. */
function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Pins every thread of `roots` and of their descendants to `cores` (MLflow's server forks its workers). */
function pinTree(roots, cores) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  const pids = [...roots];
  for (let i = 0; i < pids.length; i++) pids.push(...(children.get(pids[i]) ?? []).filter((c) => !pids.includes(c)));
  for (const p of pids) spawnSync('taskset', ['-a', '-pc', cores, String(p)], { stdio: 'ignore' });
  return pids.length;
}

/** The pids of the processes whose command line names `program` and holds `fragment` (testkit's handles hide them). */
function pidsOf(fragment, program) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.includes(program)) && args.some((a) => a.includes(fragment))) found.push(Number(entry));
    } catch {}
  }
  return found;
}

/** `command args` pinned to `cores` with taskset when there is one. */
function pinned(cores, command, args) {
  return HAS_TASKSET ? ['taskset', ['-c', cores, command, ...args]] : [command, args];
}

/** Runs a child to completion (pinned), returning the last JSON line of its stdout or the error. */
function runPinnedJson(command, args, env = process.env) {
  const [cmd, argv] = pinned(flags.core, command, args);
  const child = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  if (child.status !== 0) return { error: `${command} exited ${child.status}: ${child.stderr.trim().slice(-1500)}` };
  return JSON.parse(child.stdout.trim().split('\n').at(-1));
}

// ---------------------------------------------------------------------------------------------------------------
// The world, the pre-fill and one measured case.

async function loadPackages() {
  try {
    return {
      testkit: await import('@mlops/testkit'),
      bus: await import('@mlops/bus'),
      contracts: await import('@mlops/contracts'),
      mlflow: await import('@mlops/mlflow'),
      kit: await import('@mlops/service-kit'),
      ml: await import('@mlops/ml'),
      nats: await import('@nats-io/transport-node'),
    };
  } catch (error) {
    log(`bench:monitor: cannot load the built packages (${error.message}).\nBuild first: cd ${ROOT} && npx tsc -b`);
    process.exit(1);
  }
}

/**
 * A traffic shape: `N` is one request of N rows per message; `KxN` is K requests of N rows sharing each message (how
 * the predictor logs single-row traffic under load: the requests that waited together go in one message).
 */
function parseShape(text) {
  const [count, rows] = text.includes('x') ? text.split('x').map(Number) : [1, Number(text)];
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(rows) && rows >= 1)) {
    throw new Error(`--shapes: "${text}" is not N or KxN (positive integers)`);
  }
  return { perRequest: rows, perMessage: count, name: count === 1 ? `${rows}-row` : `${count}×${rows}-row` };
}

/**
 * Publishes `rows` rows in requests of `perRequest` rows, chunk by chunk (chunks cycle through the world's traffic,
 * each with its own request-id tag); one chain for batched requests (stream order = traffic order), `parallel` for
 * single rows (pre-fill speed only: the order inside the stream does not matter to the monitor).
 */
async function prefill(pk, bus, world, version, shape, rows) {
  const { perRequest, perMessage } = shape;
  const chunkRows = perRequest === 1 ? 1000 : 10_000;
  const chunks = [];
  for (let k = 0; k * chunkRows < rows; k++) {
    chunks.push({ k, from: (k * chunkRows) % TRAFFIC_ROWS, rows: Math.min(chunkRows, rows - k * chunkRows) });
  }
  const parallel = perRequest * perMessage === 1 ? 8 : 1;
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      await pk.testkit.logTraffic(bus, world, {
        model: MODEL_NAME,
        version,
        from: chunk.from,
        rows: chunk.rows,
        perRequest,
        requestsPerMessage: perMessage,
        tag: `b${perMessage}m${perRequest}c${chunk.k}x`,
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

const METRIC = (name) => new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm');
function sumOf(text, name) {
  let sum = 0;
  for (const m of text.matchAll(METRIC(name))) sum += Number(m[1]);
  return sum;
}

/** Polls MLflow until the version's monitoring run has `steps` steps of `rows`; resolves with the instant it did. */
async function waitForSteps(mlflow, version, steps) {
  const deadline = performance.now() + Number(flags['timeout-s']) * 1000;
  while (performance.now() < deadline) {
    const runId = (await mlflow.getModelVersion(MODEL_NAME, version)).tags['mlops.monitor.run_id'];
    if (runId !== undefined && (await mlflow.getMetricHistory(runId, 'rows')).length >= steps) return performance.now();
    await sleep(50);
  }
  throw new Error(`MLflow did not get the ${steps} windows of v${version} in ${flags['timeout-s']} s`);
}

/** Starts the monitor process (pinned) and resolves once /ready answers 200, with the instant it did. */
async function startMonitor(env, port, profileName, profileDir) {
  const nodeArgs = [
    ...(flags['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', profileName] : []),
    join(ROOT, 'services', 'monitor', 'dist', 'main.js'),
  ];
  const [cmd, args] = pinned(flags.core, process.execPath, nodeArgs);
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const keep = (chunk) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exit;
  const gone = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  const stop = onCleanUp(async () => {
    if (exit !== undefined) return;
    child.kill('SIGTERM');
    if (await Promise.race([gone.then(() => false), sleep(15_000).then(() => true)])) child.kill('SIGKILL');
    await gone;
  });
  process.once('exit', () => exit === undefined && child.kill('SIGKILL'));
  const spawnedAt = performance.now();
  for (;;) {
    if (exit !== undefined) throw new Error(`the monitor exited (${exit.code ?? exit.signal}):\n${lines.join('\n')}`);
    if (performance.now() - spawnedAt > 120_000)
      throw new Error(`the monitor not ready in 120 s:\n${lines.join('\n')}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {}
    await sleep(10);
  }
  const readyAt = performance.now();
  return {
    pid: child.pid,
    readyAt,
    readyAtUs: Number(process.hrtime.bigint() / 1000n),
    startupMs: readyAt - spawnedAt,
    stop,
    output: () => lines.join('\n'),
  };
}

async function runCase(pk, shared, shape, mlflowRuns) {
  const { perRequest, perMessage } = shape;
  const windowRows = Number(flags['window-rows']);
  const perWindow = windowRows; // a message that does not fit a window is split: every window is full
  const wanted = Number(perRequest * perMessage === 1 ? flags['single-rows'] : flags.rows);
  const rows = Math.max(perWindow, Math.floor(wanted / perWindow) * perWindow);
  const label = `${shape.name} requests, MLflow runs ${mlflowRuns ? 'on' : 'off'}`;
  const scope = [];
  try {
    const nats = await pk.testkit.startNatsServer();
    scope.push(onCleanUp(() => nats.stop()));
    const natsServerPid = pidsOf(nats.storeDir, 'nats-server')[0] ?? null;
    if (natsServerPid !== null && HAS_TASKSET && OTHER_CORES !== '') {
      spawnSync('taskset', ['-a', '-pc', OTHER_CORES, String(natsServerPid)], { stdio: 'ignore' });
    }
    const logger = pk.kit.createLogger({ service: 'bench-monitor', level: 'warn' });
    const bus = await pk.bus.connectBus({ servers: nats.url, name: 'bench-monitor', logger });
    scope.push(onCleanUp(() => bus.close()));
    await bus.ensureStream({ ...pk.contracts.PREDICTIONS_STREAM_DEFAULTS, ifMissing: true });
    const version = await pk.testkit.registerWorldModel(shared.mlflow, shared.world, MODEL_NAME);
    log(`bench:monitor: [${label}] v${version}: pre-filling ${rows.toLocaleString('en-US')} rows...`);
    const prefillStart = performance.now();
    await prefill(pk, bus, shared.world, version, shape, rows);
    const prefillS = (performance.now() - prefillStart) / 1000;
    const messages = Math.ceil(rows / (perRequest * perMessage));

    // Hear every monitor.window on core NATS (JetStream stores it on the same subject).
    const listener = await pk.nats.connect({ servers: nats.url, name: 'bench-monitor-listener' });
    scope.push(onCleanUp(() => listener.close()));
    const windows = [];
    let counted = 0;
    let finish;
    const finished = new Promise((resolve) => {
      finish = resolve;
    });
    listener.subscribe(pk.contracts.SUBJECTS.monitorWindow, {
      callback: (_error, message) => {
        const data = message.json().data;
        windows.push({ at: performance.now(), rows: data.rows, closedBy: data.closed_by });
        counted += data.rows;
        if (counted >= rows) finish(performance.now());
      },
    });
    await listener.flush();

    const port = await pk.testkit.findFreePort();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NATS_URL: nats.url,
      MLFLOW_TRACKING_URI: shared.trackingUri,
      MONITOR_PORT: String(port),
      MONITOR_INSTANCE: 'bench-monitor',
      MONITOR_WINDOW_ROWS: String(windowRows),
      MONITOR_MLFLOW_RUNS: String(mlflowRuns),
      LOG_LEVEL: 'warn',
    };
    const profileName = `monitor-${perMessage}x${perRequest}rows-mlflow-${mlflowRuns ? 'on' : 'off'}-${Date.now()}.cpuprofile`;
    log(`bench:monitor: [${label}] starting the monitor${HAS_TASKSET ? ` on core ${flags.core}` : ''}...`);
    const monitor = await startMonitor(env, port, profileName, shared.profileDir);
    scope.push(monitor.stop);
    const cpu0 = cpuSecondsOf(monitor.pid);
    const nats0 = natsServerPid === null ? null : cpuSecondsOf(natsServerPid);
    const metrics0 = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const rowsBefore = sumOf(metrics0, 'monitor_rows_total');
    const giveUp = new AbortController();
    const timeout = sleep(Number(flags['timeout-s']) * 1000, null, { signal: giveUp.signal }).catch(() => null);
    const endedAt = await Promise.race([finished, timeout]);
    giveUp.abort();
    if (endedAt === null) {
      throw new Error(
        `[${label}] only ${counted} of ${rows} rows reported in ${flags['timeout-s']} s:\n${monitor.output()}`,
      );
    }
    // With MLflow runs on, the clock runs until MLflow holds every window as a step of the version's run.
    const mlflowDoneAt = mlflowRuns ? await waitForSteps(shared.mlflow, version, windows.length) : null;
    const endUs = Number(process.hrtime.bigint() / 1000n);
    const cpu1 = cpuSecondsOf(monitor.pid);
    const nats1 = natsServerPid === null ? null : cpuSecondsOf(natsServerPid);
    let metrics1 = '';
    for (let i = 0; i < 20; i++) {
      // The counters move just after the window event is out: give the last one a moment.
      metrics1 = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      if (sumOf(metrics1, 'monitor_windows_total') >= windows.length) break;
      await sleep(50);
    }
    await monitor.stop();
    const wallS = ((mlflowDoneAt ?? endedAt) - monitor.readyAt) / 1000;
    // The monitor's own pace: every window reported (drift events, metrics); MLflow writes them from the stream after.
    const lastWindowS = (endedAt - monitor.readyAt) / 1000;
    const timedRows = rows - rowsBefore;
    const cpuS = cpu1 - cpu0;
    const result = {
      label,
      shape: shape.name,
      perRequest,
      perMessage,
      mlflowRuns,
      version,
      rows,
      messages,
      windows: windows.length,
      rowsPerWindow: perWindow,
      prefillS,
      startupS: monitor.startupMs / 1000,
      rowsBeforeReady: rowsBefore,
      wallS,
      lastWindowS,
      rowsPerS: timedRows / lastWindowS,
      rowsPerSToMlflow: mlflowDoneAt === null ? null : timedRows / wallS,
      messagesPerS: timedRows / (perRequest * perMessage) / lastWindowS,
      windowsPerS: windows.filter((w) => w.at >= monitor.readyAt).length / lastWindowS,
      cpuS,
      rowsPerCpuS: timedRows / cpuS,
      cpuShare: cpuS / wallS,
      natsCpuS: nats0 === null || nats1 === null ? null : nats1 - nats0,
      metricsRows: sumOf(metrics1, 'monitor_rows_total'),
      metricsWindows: sumOf(metrics1, 'monitor_windows_total'),
      goal: timedRows / lastWindowS >= GOAL_ROWS_PER_S ? 'met' : 'MISSED',
    };
    if (flags['cpu-prof']) {
      const file = join(shared.profileDir, profileName);
      for (let i = 0; i < 50 && !existsSync(file); i++) await sleep(100);
      result.profile = existsSync(file)
        ? summarizeProfile(file, monitor.readyAtUs, endUs)
        : { error: 'no profile written' };
    }
    log(
      `bench:monitor: [${label}] ${Math.round(result.rowsPerS).toLocaleString('en-US')} rows/s, ` +
        `${result.windowsPerS.toFixed(1)} windows/s, ${Math.round(result.rowsPerCpuS).toLocaleString('en-US')} rows/CPU-s`,
    );
    return result;
  } finally {
    for (const stop of scope.reverse()) await stop().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The peers: the same rows in batch, pinned to the same core.

function writePeerFiles(pk, world, dir, peerRows) {
  const cols = pk.testkit.FEATURES.length;
  const profile = JSON.parse(world.profileJson);
  const sample = profile.sample;
  const n = sample.rows.length;
  const x = pk.ml.denseMatrix(new Float64Array(n * cols), n, cols);
  sample.columns.forEach((column, j) => {
    for (let i = 0; i < n; i++) x.data[i * cols + j] = column[i];
  });
  const reference = withProbability(x, world.model.predictWithProba(x).probabilities);
  const rows = Math.min(peerRows, TRAFFIC_ROWS);
  const traffic = pk.ml.denseMatrix(world.traffic.X.data.slice(0, rows * cols), rows, cols);
  const logged = withProbability(traffic, world.model.predictWithProba(traffic).probabilities);
  const write = (name, data) =>
    writeFileSync(join(dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  write('reference.f64', reference);
  write('rows.f64', logged);
  writeFileSync(join(dir, 'profile.json'), world.profileJson);
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({ classes: [0, 1], coef: world.coef, intercept: world.intercept }),
  );
  return { referenceRows: n, rows, cols: cols + 1 };
}

/** Row-major [x | p]: the features with the probability as one more column. */
function withProbability(x, p) {
  const out = new Float64Array(x.rows * (x.cols + 1));
  for (let i = 0; i < x.rows; i++) {
    out.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), i * (x.cols + 1));
    out[i * (x.cols + 1) + x.cols] = p[i];
  }
  return out;
}

function runPeers(files, dir, windowSizes) {
  const peers = [];
  const evidentlyArgs = (mode, windowRows, maxWindows) => [
    join(HERE, 'evidently_drift.py'),
    ...['--reference', join(dir, 'reference.f64'), '--reference-rows', String(files.referenceRows)],
    ...['--rows', join(dir, 'rows.f64'), '--row-count', String(files.rows), '--cols', String(files.cols)],
    ...['--window-rows', String(windowRows), '--mode', mode, '--warmup', mode === 'report' ? '1' : '2'],
    ...['--max-windows', String(maxWindows)],
  ];
  const env = { ...process.env, DO_NOT_TRACK: '1' };
  for (const windowRows of windowSizes) {
    const maxWindows = Math.floor(files.rows / windowRows) - 2;
    log(`bench:monitor: peers on ${windowRows}-row windows: ours in batch...`);
    peers.push({
      peer: 'ours in batch (driftOfWindow, no NATS)',
      windowRows,
      ...runPinnedJson(process.execPath, [
        join(HERE, 'ours_batch.js'),
        ...['--files', dir, '--row-count', String(files.rows), '--window-rows', String(windowRows)],
        ...['--max-windows', String(maxWindows)],
      ]),
    });
    log(`bench:monitor: peers on ${windowRows}-row windows: Evidently stat tests...`);
    peers.push({
      peer: 'Evidently stat tests (KS, PSI, JS, W1 per column)',
      windowRows,
      ...runPinnedJson(VENV_PYTHON, evidentlyArgs('stattests', windowRows, maxWindows), env),
    });
  }
  const reportWindows = Number(flags['report-windows']);
  if (reportWindows > 0) {
    const windowRows = windowSizes[windowSizes.length - 1];
    log(`bench:monitor: Evidently Report(DataDriftPreset) on ${reportWindows} windows of ${windowRows} rows...`);
    peers.push({
      peer: 'Evidently Report(DataDriftPreset)',
      windowRows,
      ...runPinnedJson(VENV_PYTHON, evidentlyArgs('report', windowRows, reportWindows), env),
    });
  }
  return peers;
}

// ---------------------------------------------------------------------------------------------------------------
// The report.

const int = (x) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const fixed = (x, d = 2) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));

function printReport(report) {
  const m = report.machine;
  const lines = [
    `# bench:monitor — ${report.date}`,
    `command: ${report.command}`,
    `machine: nproc ${m.nproc}, ${m.cpu}; node ${m.node}; ${m.natsServer}; monitor pinned: ${m.pinning}`,
    `python ${m.python ?? 'n/a'}, evidently ${m.evidently ?? 'n/a'}, pandas ${m.pandas ?? 'n/a'}, numpy ${m.numpy ?? 'n/a'}, scipy ${m.scipy ?? 'n/a'}`,
    `1-minute load average: ${fixed(m.loadBefore)} at start, ${fixed(m.loadAfter)} at end`,
    `MONITOR_WINDOW_ROWS=${flags['window-rows']}; reference: the version's profile sample (${report.referenceRows} training rows: KS + PSI + JS + W1 per feature and for the prediction)`,
    '',
    '| requests | MLflow runs | rows | messages | windows | start-up s | last window s | rows/s | msgs/s | windows/s | MLflow holds every window s | rows/s into MLflow | monitor CPU s | rows/CPU-s | CPU/wall | nats-server CPU s | goal ≥ 50k rows/s | ours/Evidently rows/s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of report.cases) {
    if (c.error) {
      lines.push(`| ${c.shape} | ${c.mlflowRuns ? 'on' : 'off'} | error: ${c.error.split('\n')[0]} |`);
      continue;
    }
    const peer = report.peers.find(
      (p) => p.peer.startsWith('Evidently stat') && p.windowRows === c.rowsPerWindow && !p.error,
    );
    lines.push(
      `| ${[
        c.shape,
        c.mlflowRuns ? 'on' : 'off',
        int(c.rows),
        int(c.messages),
        int(c.windows),
        fixed(c.startupS),
        fixed(c.lastWindowS),
        int(c.rowsPerS),
        int(c.messagesPerS),
        fixed(c.windowsPerS, 1),
        c.mlflowRuns ? fixed(c.wallS) : '—',
        c.rowsPerSToMlflow === null ? '—' : int(c.rowsPerSToMlflow),
        fixed(c.cpuS),
        int(c.rowsPerCpuS),
        fixed(c.cpuShare),
        fixed(c.natsCpuS),
        c.goal,
        peer ? fixed(c.rowsPerS / peer.rowsPerS, 1) : 'n/a',
      ].join(' | ')} |`,
    );
  }
  if (report.peers.length > 0) {
    lines.push(
      '',
      '| peer (batch, same rows, same core) | window rows | windows | ms/window (median) | rows/s | rows/CPU-s |',
      '|---|---|---|---|---|---|',
    );
    for (const p of report.peers) {
      lines.push(
        p.error
          ? `| ${p.peer} | ${p.windowRows} | error: ${p.error.split('\n')[0]} |`
          : `| ${p.peer} | ${p.windowRows} | ${p.windows} | ${fixed(p.medianMsPerWindow)} | ${int(p.rowsPerS)} | ${int(p.rowsPerCpuS)} |`,
      );
    }
  }
  for (const c of report.cases.filter((x) => x.profile && !x.profile.error)) {
    const p = c.profile;
    lines.push('', `## where the time goes: ${c.label} (${p.interval}, ${fixed(p.busyMs / 1000)} s busy)`, '');
    lines.push(
      `components: ${p.components
        .slice(0, 10)
        .map((x) => `${x.name} ${(100 * x.share).toFixed(1)} %`)
        .join(', ')}`,
    );
    lines.push('', '| function (self time) | ms | share |', '|---|---|---|');
    for (const f of p.functions) lines.push(`| ${f.name} | ${fixed(f.ms, 0)} | ${(100 * f.share).toFixed(1)} % |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  if (endianness() !== 'LE') throw new Error('the raw float64 files are written little-endian; this host is not');
  const pk = await loadPackages();
  const loadBefore = loadavg()[0];
  let python = {};
  if (!flags['skip-peers']) {
    try {
      python = ensurePythonPeers(ROOT, log);
    } catch (error) {
      log(`bench:monitor: the Python peers are not available (${error.message}); measuring ours only.`);
      flags['skip-peers'] = true;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-monitor-'));
  onCleanUp(() => rmSync(dir, { recursive: true, force: true }));
  const profileDir = join(HERE, 'out', 'profiles');
  if (flags['cpu-prof']) mkdirSync(profileDir, { recursive: true });
  log('bench:monitor: building the world (model + reference profile) and starting MLflow...');
  const world = pk.testkit.buildWorld();
  const mlflowServer = await pk.testkit.startMlflowServer();
  onCleanUp(() => mlflowServer.stop());
  const mlflowPids = pidsOf(mlflowServer.dataDir, 'mlflow');
  if (mlflowPids.length > 0 && HAS_TASKSET && OTHER_CORES !== '') {
    log(`bench:monitor: MLflow (${pinTree(mlflowPids, OTHER_CORES)} processes) pinned to core ${OTHER_CORES}`);
  }
  const mlflow = pk.mlflow.createMlflowClient({ trackingUri: mlflowServer.trackingUri });
  const shared = { world, mlflow, trackingUri: mlflowServer.trackingUri, profileDir };
  const shapes = flags.shapes.split(',').map((s) => parseShape(s.trim()));
  const runs = flags['mlflow-runs'].split(',').map((v) => v.trim() === 'true');
  const cases = [];
  for (const shape of shapes) {
    for (const mlflowRuns of runs) {
      try {
        cases.push(await runCase(pk, shared, shape, mlflowRuns));
      } catch (error) {
        log(`bench:monitor: case failed: ${error.stack ?? error}`);
        cases.push({ shape: shape.name, mlflowRuns, error: String(error.message ?? error) });
      }
    }
  }
  const files = writePeerFiles(pk, world, dir, Number(flags['peer-rows']));
  const windowSizes = [Number(flags['window-rows'])];
  const peers = flags['skip-peers'] ? [] : runPeers(files, dir, windowSizes);
  const versions = peers.find((p) => p.versions)?.versions ?? {};
  const report = {
    date: new Date().toISOString(),
    command: ['node', 'bench/monitor/run.js', ...process.argv.slice(2)].join(' '),
    machine: {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      natsServer: spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout.trim(),
      pinning: HAS_TASKSET
        ? `taskset -c ${flags.core} (monitor and peers); nats-server and MLflow on ${OTHER_CORES || 'the same core'}`
        : 'no taskset: not pinned',
      python: python.python,
      ...versions,
      loadBefore,
      loadAfter: loadavg()[0],
    },
    referenceRows: files.referenceRows,
    cases,
    peers,
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report);
  process.exitCode = cases.some((c) => c.error) ? 1 : 0;
}

try {
  await main();
} finally {
  await cleanUp();
}
