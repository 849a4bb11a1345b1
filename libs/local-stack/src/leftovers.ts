import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidAlive } from './health.js';
import type { ProcessRecord, StackState } from './stack-state.js';

/** A process as `ps` describes it now. */
export interface ProcessInfo {
  readonly pid: number;
  /** Its process group: its own pid for nats-server and MLflow, which lead a group of their own. */
  readonly pgid: number;
  /** Ended, waiting for a parent to reap it (an orphan's parent may never do it): as good as gone. */
  readonly zombie: boolean;
  /** When it started, in ms since the epoch, to the second (`ps` shows no finer). */
  readonly startedAt: number;
  /** Its command line. */
  readonly args: string;
}

/** Reads a process's description; undefined when no process has that pid. */
export type DescribeProcess = (pid: number) => Promise<ProcessInfo | undefined>;

/** Thrown by {@link describeProcess} when `ps` cannot be run: nothing can be said about any process. */
export class ProcessTableUnavailable extends Error {}

const PS_LINE = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\w{3}\s+\w{3}\s+\d+\s+\d+:\d+:\d+\s+\d+)\s+(.*)$/;

/** A process's pid, group, state, start time and command line from `ps` (procps and BSD alike). */
export const describeProcess: DescribeProcess = (pid) =>
  new Promise((resolve, reject) => {
    const args = ['-o', 'pid=,pgid=,stat=,lstart=,args=', '-p', String(pid)];
    execFile('ps', args, { env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        reject(new ProcessTableUnavailable('ps not found', { cause: err }));
        return;
      }
      resolve(parsePsLine(stdout.split('\n')[0] ?? '')); // ps exits 1 when no process matched
    });
  });

/** One line of `ps -o pid=,pgid=,stat=,lstart=,args=`; undefined when it is not one (nothing matched). */
export function parsePsLine(line: string): ProcessInfo | undefined {
  const match = PS_LINE.exec(line);
  if (match === null) return undefined;
  const [, pid, pgid, stat, lstart, args] = match as unknown as [string, string, string, string, string, string];
  const startedAt = new Date(lstart.replace(/\s+/g, ' ')).getTime();
  if (Number.isNaN(startedAt)) return undefined;
  return { pid: Number(pid), pgid: Number(pgid), zombie: stat.startsWith('Z'), startedAt, args };
}

/** What ran a stack on a data directory, as its state file and the process table tell. */
export type PreviousStack =
  | { readonly kind: 'none' }
  /** Its `mlops up` still runs. */
  | { readonly kind: 'running'; readonly pid: number }
  /** Its `mlops up` ended without stopping it (SIGKILL, out of memory, a reboot): these processes of it still run. */
  | { readonly kind: 'abandoned'; readonly pid: number; readonly leftovers: readonly Leftover[] };

/** A process of an abandoned stack still running. */
export interface Leftover {
  readonly name: string;
  readonly pid: number;
  /** It leads its own process group (a server and its workers): signals go to the whole group. */
  readonly group: boolean;
}

/** `ps` shows start times to the second, and truncates them. */
const START_SLACK_MS = 1000;

/**
 * Tells whether the `mlops up` that wrote `state` still runs, and if not, which of its processes do. A pid counts as
 * the same process only if that process started when the state file says (a pid is reused after a process ends and
 * after a reboot), and a leftover must also carry its command line's mark (the data directory, or its service's
 * entry point).
 */
export async function inspectPreviousStack(state: StackState, describe: DescribeProcess): Promise<PreviousStack> {
  if (!['starting', 'running', 'stopping'].includes(state.state)) return { kind: 'none' };
  if (await writerRuns(state, describe)) return { kind: 'running', pid: state.pid };
  const window = {
    from: Date.parse(state.started_at) - START_SLACK_MS,
    to: Date.parse(state.updated_at) + START_SLACK_MS,
  };
  const found = await Promise.all(state.processes.map((record) => leftover(record, state.data_dir, window, describe)));
  const leftovers = found.filter((l): l is Leftover => l !== undefined);
  return leftovers.length === 0 ? { kind: 'none' } : { kind: 'abandoned', pid: state.pid, leftovers };
}

/**
 * True while the `mlops up` that wrote `state` runs: a process with its pid that started before the stack did (one
 * started later reuses the pid). Without `ps`, a live pid is taken for it.
 */
export async function stackWriterRuns(
  state: StackState,
  describe: DescribeProcess = describeProcess,
): Promise<boolean> {
  try {
    return await writerRuns(state, describe);
  } catch (err) {
    if (err instanceof ProcessTableUnavailable) return pidAlive(state.pid);
    throw err;
  }
}

async function writerRuns(state: StackState, describe: DescribeProcess): Promise<boolean> {
  const writer = await describe(state.pid);
  return writer !== undefined && !writer.zombie && writer.startedAt <= Date.parse(state.started_at) + START_SLACK_MS;
}

async function leftover(
  record: ProcessRecord,
  dataDir: string,
  window: { from: number; to: number },
  describe: DescribeProcess,
): Promise<Leftover | undefined> {
  if (record.pid === null) return undefined;
  const info = await describe(record.pid);
  if (info === undefined || info.zombie || info.startedAt < window.from || info.startedAt > window.to) return undefined;
  if (!info.args.includes(commandMark(record.name, dataDir))) return undefined;
  return { name: record.name, pid: record.pid, group: info.pgid === record.pid };
}

/** What a stack process's command line contains: the servers' data paths, or the service's entry point. */
function commandMark(name: string, dataDir: string): string {
  return name === 'nats-server' || name === 'mlflow' ? dataDir : `/services/${name}/dist/main.js`;
}

/** How long a leftover gets after SIGTERM, as the stack's own stop gives it. */
const GRACE_MS: Record<string, number> = { 'nats-server': 10_000, mlflow: 10_000 };
const SERVICE_GRACE_MS = 20_000;

/**
 * Stops an abandoned stack's processes as its own stop would have: the services first (while NATS still carries
 * their drain), then MLflow, then nats-server; each SIGTERM, then SIGKILL after its grace (its whole group for a
 * server, whose workers would otherwise keep the port).
 */
export async function stopLeftovers(
  leftovers: readonly Leftover[],
  describe: DescribeProcess,
  onStop: (leftover: Leftover) => void = () => undefined,
): Promise<void> {
  const tiers = [
    leftovers.filter((l) => GRACE_MS[l.name] === undefined),
    leftovers.filter((l) => l.name === 'mlflow'),
    leftovers.filter((l) => l.name === 'nats-server'),
  ];
  for (const tier of tiers) {
    await Promise.all(
      tier.map((l) => {
        onStop(l);
        return stopOne(l, GRACE_MS[l.name] ?? SERVICE_GRACE_MS, describe);
      }),
    );
  }
}

async function stopOne(leftover: Leftover, graceMs: number, describe: DescribeProcess): Promise<void> {
  signal(leftover, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let runs = await stillRuns(leftover.pid, describe);
  while (runs && Date.now() < deadline) {
    await sleep(100);
    runs = await stillRuns(leftover.pid, describe);
  }
  // A group's stragglers (workers outliving their server) too; a lone process only if the grace did not end it.
  if (runs || leftover.group) signal(leftover, 'SIGKILL');
}

async function stillRuns(pid: number, describe: DescribeProcess): Promise<boolean> {
  const info = await describe(pid);
  return info !== undefined && !info.zombie;
}

function signal(leftover: Leftover, name: NodeJS.Signals): void {
  try {
    process.kill(leftover.group ? -leftover.pid : leftover.pid, name);
  } catch {
    // ESRCH: it (and its group) ended already
  }
}
