// The goals of issue 4 ("Speed") as issue 15 ("Serving on every core") raised them, the ratios they name, and the
// printed table.

/** One ratio of ours to a peer in one scenario, with the issue's bound (`min`) or none (informative). */
const RATIOS = [
  { scenario: 'single', metric: 'requestsPerS', peer: 'gunicorn', min: 15 },
  { scenario: 'single', metric: 'requestsPerS', peer: 'mlflow-serve', min: 10 },
  { scenario: 'single', metric: 'requestsPerS', peer: 'ceiling', min: 0.2 },
  { scenario: 'batch', metric: 'rowsPerS', peer: 'gunicorn', min: 1.5 },
  { scenario: 'batch', metric: 'rowsPerS', peer: 'ceiling', min: 0.6 },
  { scenario: 'batch', metric: 'rowsPerS', peer: 'mlflow-serve', min: null },
  { scenario: 'single', metric: 'requestsPerS', ours: 'predictor-invocations', peer: 'mlflow-serve', min: null },
  { scenario: 'batch', metric: 'rowsPerS', ours: 'predictor-invocations', peer: 'mlflow-serve', min: null },
  // The prediction log's cost (issue 13, `--log-compare`): shown only when both sides ran.
  { scenario: 'single', metric: 'requestsPerS', peer: 'predictor-log-off', min: 0.9, whenRan: true },
  { scenario: 'batch', metric: 'rowsPerS', peer: 'predictor-log-off', min: 0.9, whenRan: true },
];
const P99_GOAL_MS = 10;
/** Issue 15: every worker serves a new version this soon after its model.registered. */
const EVERY_WORKER_GOAL_MS = 2000;

/** The best successful measurement in `scenario` of a server of `family` (gunicorn has one per worker class). */
function best(results, family, scenario, metric) {
  const found = results.filter((r) => r.family === family && r.scenario === scenario && !r.error);
  return found.sort((a, b) => b[metric] - a[metric])[0];
}

function ratioGoal(results, { scenario, metric, peer, min, ours = 'predictor' }) {
  const a = best(results, ours, scenario, metric);
  const b = best(results, peer, scenario, metric);
  const value = a && b ? a[metric] / b[metric] : null;
  const unit = metric === 'rowsPerS' ? 'rows/s' : 'req/s';
  return {
    name: `${scenario}: ${ours}/${b?.server ?? peer} ${unit}`,
    value,
    goal: min === null ? null : `≥ ${min}`,
    met: min === null || value === null ? null : value >= min,
  };
}

function p99Goal(results) {
  const single = best(results, 'predictor', 'single', 'requestsPerS');
  const value = single ? single.latencyMs.p99 : null;
  const name = `single: predictor p99 ms at ${single?.connections ?? '?'} connections`;
  return { name, value, goal: `< ${P99_GOAL_MS}`, met: value === null ? null : value < P99_GOAL_MS };
}

function swapGoal(swap) {
  if (swap === undefined) return [];
  const ok = !swap.error && swap.advanced === swap.swaps;
  const slowest = swap.error ? null : Math.max(...swap.timeline.map((t) => t.everyWorkerAfterRegistrationMs));
  return [
    {
      name: `swap: failed requests across ${swap.swaps} swaps`,
      value: swap.error ? null : swap.failed,
      digits: 0,
      goal: '= 0',
      met: swap.error ? false : swap.failed === 0,
    },
    {
      name: 'swap: served version advanced by',
      value: swap.error ? null : swap.advanced,
      digits: 0,
      goal: `= ${swap.swaps}`,
      met: ok,
    },
    {
      name: `swap: slowest model.registered → all ${swap.workers ?? '?'} workers serving it, ms`,
      value: slowest,
      digits: 0,
      goal: `< ${EVERY_WORKER_GOAL_MS}`,
      met: slowest === null ? false : slowest < EVERY_WORKER_GOAL_MS && ok,
    },
  ];
}

/** Every goal of the issue, and the informative ratios (`met` null) whose servers both ran. */
export function evaluateGoals(results, swap) {
  const ran = (family) => results.some((r) => r.family === family);
  const both = (r) => ran(r.ours ?? 'predictor') && ran(r.peer);
  const ratios = RATIOS.filter((r) => (r.whenRan ? both(r) : r.min !== null || both(r)));
  return [...ratios.map((r) => ratioGoal(results, r)), p99Goal(results), ...swapGoal(swap)];
}

const fixed = (value, digits) => (value === null || value === undefined ? 'n/a' : value.toFixed(digits));
const whole = (value) => (value === null || value === undefined ? 'n/a' : Math.round(value).toLocaleString('en-US'));

/** The measurements as a markdown table, one line per (scenario, server). */
export function resultsTable(results) {
  const header = [
    'scenario',
    'server',
    'conns',
    'rows/req',
    'req/s',
    'rows/s',
    'p50 ms',
    'p99 ms',
    'failed (errors/non-2xx)',
  ];
  const lines = results.map((r) =>
    r.error
      ? [r.scenario, r.server, r.connections, r.rows, 'FAILED', r.error.split('\n')[0].slice(0, 80), '', '', '']
      : [
          r.scenario,
          r.server,
          r.connections,
          r.rows,
          whole(r.requestsPerS),
          whole(r.rowsPerS),
          fixed(r.latencyMs.p50, 2),
          fixed(r.latencyMs.p99, 2),
          `${r.failed} (${r.errors}/${r.non2xx})`,
        ],
  );
  return markdown(header, lines);
}

/** What the prediction log did during each measurement of a predictor (warm-up included), when it was read. */
export function predictionLogTable(results) {
  const logged = results.filter((r) => r.predictionLog !== undefined);
  if (logged.length === 0) return undefined;
  const header = [
    'scenario',
    'server',
    'requests',
    'published',
    'logged',
    'dropped (full/failed/too large)',
    'drain ms',
  ];
  const lines = logged.map(({ scenario, server, predictionLog: l }) => [
    scenario,
    server,
    whole(l.requests),
    whole(l.published),
    l.requests === 0 ? 'n/a' : `${((100 * l.published) / l.requests).toFixed(1)} %`,
    `${whole(l.dropped)} (${whole(l.bufferFull)}/${whole(l.publishFailed)}/${whole(l.tooLarge)})`,
    whole(l.drainMs),
  ]);
  return markdown(header, lines);
}

/** With `--log-compare`: log-on / log-off throughput of each alternating round, per scenario. */
function roundRatios(results) {
  const side = (server, scenario) => results.find((r) => r.server === server && r.scenario === scenario && r.perRound);
  return ['single', 'batch'].flatMap((scenario) => {
    const on = side('predictor', scenario);
    const off = side('predictor-log-off', scenario);
    if (on === undefined || off === undefined) return [];
    const ratios = on.perRound.map((r, i) => (r.rowsPerS / off.perRound[i].rowsPerS).toFixed(2));
    return [`${scenario}: log on / log off per round: ${ratios.join(', ')}`];
  });
}

/** The goals as a markdown table with met / MISSED / info. */
export function goalsTable(goals) {
  const lines = goals.map((g) => [
    g.name,
    typeof g.value === 'number' ? fixed(g.value, g.digits ?? 2) : 'n/a',
    g.goal ?? '(info)',
    g.met === null ? (g.goal === null ? 'info' : 'not measured') : g.met ? 'met' : 'MISSED',
  ]);
  return markdown(['ratio / figure', 'value', 'goal', 'status'], lines);
}

/** The swap timeline: per version, the tuning-to-registration time and the reload after it. */
export function swapTable(swap) {
  if (swap.error) return `swap FAILED: ${swap.error}`;
  const lines = swap.timeline.map((t) => [
    `v${t.version}`,
    `${fixed(t.registeredMs, 0)} (${t.byGate ? 'gate' : 'promote'})`,
    fixed(t.servedAfterRegistrationMs, 0),
    fixed(t.everyWorkerAfterRegistrationMs, 0),
    t.workerStates.join(' → '),
  ]);
  const versions = Object.entries(swap.responsesByVersion)
    .map(([v, n]) => `${v === 'unnamed' ? 'no version named' : `v${v}`}: ${n}`)
    .join(', ');
  return [
    `swap under load: ${swap.ok} ok of ${swap.requests} requests at ${swap.connections} connections over ${swap.durationS} s, ` +
      `${swap.failed} failed (errors ${swap.errors}, non-2xx ${swap.non2xx}), p99 ${fixed(swap.latencyMs.p99, 2)} ms; served v${swap.before} → v${swap.after}`,
    `answers by model version: ${versions}`,
    '',
    markdown(
      [
        'version',
        'tune → model.registered ms (by the gate, or registry.promote after model.rejected)',
        '→ first worker serving ms',
        '→ every worker serving ms',
        'workers by version seen on /metrics',
      ],
      lines,
    ),
  ].join('\n');
}

function markdown(header, lines) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  return [row(header), `|${'---|'.repeat(header.length)}`, ...lines.map(row)].join('\n');
}

const orNa = (value) => value ?? 'n/a';

/** The whole report as printed: run facts, the measurements, the goals and the swap. */
export function formatReport(report) {
  const { machine: m, options: o } = report;
  const py = m.peers ?? {};
  const lines = [
    `# bench:serve — ${report.date}`,
    `command: ${report.command}`,
    `machine: nproc ${m.nproc}, ${m.cpu}; node ${m.node}; autocannon ${m.autocannon}; ${orNa(m.wrk)}; python ${orNa(py.python)}, ` +
      `Flask ${orNa(py.flask)}, gunicorn ${orNa(py.gunicorn)}, scikit-learn ${orNa(py['scikit-learn'])}, ` +
      `onnxruntime ${orNa(py.onnxruntime)}, MLflow ${orNa(py.mlflow)}`,
    `1-minute load average: ${m.loadAverage1m.before.toFixed(2)} at start, ${m.loadAverage1m.after.toFixed(2)} at end ` +
      '(the machine may be shared: compare runs only when it is well under nproc)',
    `setup: ${o.warmup} s warm-up, then ${o.duration} s per measurement, one server at a time, load from ` +
      `${o.generator === 'wrk' ? 'wrk (one thread, its own process)' : 'autocannon in the harness process'}; predictor: ${o.workers} worker process(es) (PREDICTOR_WORKERS); gunicorn: ${o.peerWorkers} workers per class (${o.workerClasses.join(', ')}; ` +
      `gthread with ${o.threads} threads each), the best class counts; mlflow models serve: ${o.peerWorkers} uvicorn workers`,
    '',
    resultsTable(report.results),
    '',
    goalsTable(report.goals),
  ];
  const logTable = predictionLogTable(report.results);
  if (logTable !== undefined) {
    const title = `prediction log (PREDICTOR_LOG_SAMPLE ${o.logSample} on predictor; counters of each measurement, warm-up included):`;
    lines.push('', title, '', logTable, '', ...roundRatios(report.results));
  }
  if (report.swap) lines.push('', swapTable(report.swap));
  return `${lines.join('\n')}\n`;
}
