// CPU seconds of a process and everything it forked (MLflow's server forks its workers), from /proc: what each part
// of a tuning costs on the cores the benchmark shares. Linux only; null elsewhere or once the process is gone.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** `[ppid, utime + stime in ticks]` of a pid, or undefined when it is gone. */
function statOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(fields[1]), Number(fields[11]) + Number(fields[12])];
  } catch {
    return undefined;
  }
}

/** utime + stime of `pid` and its living descendants, in seconds; null when `pid` is gone. */
export function treeCpuSeconds(pid) {
  if (pid === undefined || statOf(pid) === undefined) return null;
  const children = new Map();
  const ticks = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (stat === undefined) continue;
    children.set(stat[0], [...(children.get(stat[0]) ?? []), Number(entry)]);
    ticks.set(Number(entry), stat[1]);
  }
  let total = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop();
    total += ticks.get(next) ?? 0;
    pending.push(...(children.get(next) ?? []));
  }
  return total / CLK_TCK;
}
