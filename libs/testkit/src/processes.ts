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
