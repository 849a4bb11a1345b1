// Reads a V8 CPU profile (node --cpu-prof) of the monitor and says where the time of one interval went: self time by
// component (nats.js, zod, the bus, the monitor, the drift maths, GC, ...) and the functions with the most self time.
import { readFileSync } from 'node:fs';

/** Component of a profile node, from its script URL and function name. */
function componentOf(frame) {
  const url = frame.url ?? '';
  const name = frame.functionName ?? '';
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8/native (program)';
  if (url.includes('/@nats-io/')) return 'nats.js';
  if (url.includes('/zod/')) return 'zod (schemas)';
  if (url.includes('/prom-client/')) return 'prom-client';
  if (url.includes('/pino')) return 'pino';
  if (url.includes('libs/contracts/')) return '@mlops/contracts';
  if (url.includes('libs/bus/')) return '@mlops/bus';
  if (url.includes('libs/ml/')) return '@mlops/ml (drift maths)';
  if (url.includes('libs/mlflow/')) return '@mlops/mlflow';
  if (url.includes('services/monitor/')) return 'services/monitor';
  if (url.startsWith('node:')) return 'node internals';
  if (url === '') return `builtin (${name || 'anonymous'})`;
  return 'other';
}

/** Shortens a script URL to the part after the repository or node_modules. */
function shortUrl(url) {
  const at = Math.max(url.lastIndexOf('node_modules/'), url.indexOf('/libs/'), url.indexOf('/services/'));
  return at >= 0 ? url.slice(at).replace(/^\//, '') : url;
}

/**
 * Self time per component and the top functions of `file`, counting only samples taken between `fromUs` and `toUs`
 * (CLOCK_MONOTONIC microseconds, the clock of V8's profile timestamps and of process.hrtime); the whole profile when
 * no sample falls inside.
 */
export function summarizeProfile(file, fromUs, toUs, top = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  let t = profile.startTime;
  let inside = 0;
  const add = (id, us) => selfUs.set(id, (selfUs.get(id) ?? 0) + us);
  const bySample = [];
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const next = profile.timeDeltas[i + 1] ?? 0;
    bySample.push([profile.samples[i], t, next]);
    if (t >= fromUs && t <= toUs) inside++;
  }
  const whole = inside === 0;
  for (const [id, at, us] of bySample) if (whole || (at >= fromUs && at <= toUs)) add(id, us);
  const components = new Map();
  const functions = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id).callFrame;
    const component = componentOf(frame);
    if (component === 'idle') continue;
    total += us;
    components.set(component, (components.get(component) ?? 0) + us);
    const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const ranked = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : 0 }));
  return {
    file,
    interval: whole ? 'whole profile (no sample inside the timed interval)' : 'timed interval only',
    busyMs: total / 1000,
    components: ranked(components),
    functions: ranked(functions).slice(0, top),
  };
}
