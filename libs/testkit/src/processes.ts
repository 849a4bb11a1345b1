import { execFileSync } from 'node:child_process';

/**
 * The pid of a running process whose command line holds every one of `parts` (zombies aside: an orphan's end is
 * reaped by whatever adopted it, maybe never in a container): how a test finds a server a stack started.
 */
export function pidOf(...parts: string[]): number | undefined {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const [pid, stat, ...args] = line.trim().split(/\s+/);
    const command = args.join(' ');
    if (!stat?.startsWith('Z') && parts.every((part) => command.includes(part))) return Number(pid);
  }
  return undefined;
}

/** Whether the process, or anything left in the process group it led, still runs (zombies aside). */
export function runsWithGroup(pid: number): boolean {
  return liveProcesses().some((p) => p.pid === pid || p.pgid === pid);
}

/** Every live process (zombies aside) with its process group, as `ps -A` lists them. */
export function liveProcesses(): { pid: number; pgid: number }[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, , stat]) => Number(pid) > 0 && !stat?.startsWith('Z'))
    .map(([pid, pgid]) => ({ pid: Number(pid), pgid: Number(pgid) }));
}

/** The child processes of `pid` (a multi-process predictor's workers); none when it has none. */
export function childPids(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {} // ps exits 1 when there are none
  return out
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((n) => n > 0);
}
