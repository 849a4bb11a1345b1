// Load generation with wrk (C, one thread, epoll): it leaves the cores to the servers, where autocannon's own
// JavaScript competes with them on a 2-core machine. Same measurement shape as load.js's `measure`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The wrk on PATH and its version line, or null when it is not installed (`apt-get install wrk`). */
export function wrkVersion() {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) return null;
  return (probe.stdout || probe.stderr).split('\n')[0]?.trim() ?? 'wrk';
}

/** wrk's Lua: POSTs the body file, prints one JSON line of totals and latency quantiles (µs) at the end. */
const SCRIPT = `
local f = assert(io.open(os.getenv("WRK_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

function runWrk({ url, bodyFile, scriptFile, connections, durationS }) {
  return new Promise((resolve, reject) => {
    const args = ['-t1', `-c${connections}`, `-d${durationS}s`, '--timeout', '10s', '-s', scriptFile, url];
    const child = spawn('wrk', args, { env: { ...process.env, WRK_BODY_FILE: bodyFile } });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (code !== 0 || line === undefined) reject(new Error(`wrk exited ${code}: ${out.slice(-500)}`));
      else resolve(JSON.parse(line.slice('WRK_JSON '.length)));
    });
  });
}

/** Warms up for `warmupS`, then measures `durationS` seconds with wrk at `connections`; `rows` per request. */
export async function measureWithWrk({ url, body, connections, durationS, warmupS, rows }) {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-wrk-'));
  try {
    const bodyFile = join(dir, 'body');
    const scriptFile = join(dir, 'post.lua');
    writeFileSync(bodyFile, body);
    writeFileSync(scriptFile, SCRIPT);
    const run = { url, bodyFile, scriptFile, connections };
    if (warmupS > 0) await runWrk({ ...run, durationS: warmupS });
    const w = await runWrk({ ...run, durationS });
    const duration = w.duration_us / 1e6;
    const errors = w.connect + w.read + w.write + w.timeout;
    // wrk counts a non-2xx/3xx answer as a status error but still in `requests`.
    const ok = w.requests - w.status;
    return {
      connections,
      rows,
      durationS: duration,
      requests: w.requests,
      ok,
      requestsPerS: ok / duration,
      rowsPerS: (ok * rows) / duration,
      latencyMs: { p50: w.p50 / 1000, p99: w.p99 / 1000, max: w.max / 1000 },
      errors,
      timeouts: w.timeout,
      non2xx: w.status,
      mismatches: 0,
      failed: errors + w.status,
      statusCodes: {},
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
