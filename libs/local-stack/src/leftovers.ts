import { setTimeout as sleep } from 'node:timers/promises';
import { canConnect } from '@mlops/supervisor';
import { pidAlive } from './health.js';
import { type ProcessTable, ProcessTableUnavailable, systemProcessTable } from './process-table.js';
import type { ProcessRecord, StackState } from './stack-state.js';

/** What ran a stack on a data directory, as its state file and the process table tell. */
export type PreviousStack =
  | { readonly kind: 'none' }
  /** Its `mlops up` still runs (or cannot be told from one that does). */
  | { readonly kind: 'running'; readonly pid: number }
  /** Its `mlops up` ended without stopping it (SIGKILL, out of memory): these processes of it still run. */
  | { readonly kind: 'abandoned'; readonly pid: number; readonly leftovers: readonly Leftover[] };

/** A process of an abandoned stack still running, or what is left of its process group. */
export interface Leftover {
  readonly name: string;
  readonly pid: number;
  /** Its start token (see `ProcessInfo.start`). */
  readonly start: string;
  /** It led its own process group (a server and its workers): signals go to the whole group. */
  readonly group: boolean;
}

/**
 * Tells whether the `mlops up` that wrote `state` still runs, and if not, which of its processes do. A pid counts as
 * the same process only if its start token is the one recorded when it was spawned (a pid is reused after a process
 * ends and after a reboot), and a leftover must also carry its mark on its command line (the data directory, or its
 * service's entry point). A server whose leader ended unreaped still counts while workers of its group live on.
 */
export async function inspectPreviousStack(state: StackState, table: ProcessTable): Promise<PreviousStack> {
  if (!['starting', 'running', 'stopping'].includes(state.state)) return { kind: 'none' };
  if (await writerRuns(state, table)) return { kind: 'running', pid: state.pid };
  const found = await Promise.all(state.processes.map((record) => leftover(record, state.data_dir, table)));
  const leftovers = found.filter((l): l is Leftover => l !== undefined);
  return leftovers.length === 0 ? { kind: 'none' } : { kind: 'abandoned', pid: state.pid, leftovers };
}

/**
 * {@link inspectPreviousStack} on the system's process table; where that table cannot be read, whether the `mlops up`
 * runs as {@link stackWriterRuns} tells (its pid living and its nats-server answering), and no leftovers (none can be
 * told from other processes then).
 */
export async function inspectStack(state: StackState, table = systemProcessTable()): Promise<PreviousStack> {
  try {
    return await inspectPreviousStack(state, table);
  } catch (err) {
    if (!(err instanceof ProcessTableUnavailable)) throw err;
    return (await stackWriterRuns(state, table)) ? { kind: 'running', pid: state.pid } : { kind: 'none' };
  }
}

/**
 * True while the `mlops up` that wrote `state` runs: its pid with the start token it recorded. A state file without
 * one (written before tokens, or where the process table could not be read), or an unreadable process table, falls
 * back to the pid living and the stack's nats-server answering.
 */
export async function stackWriterRuns(state: StackState, table = systemProcessTable()): Promise<boolean> {
  try {
    return await writerRuns(state, table);
  } catch (err) {
    if (err instanceof ProcessTableUnavailable) return await pidAndNatsLive(state);
    throw err;
  }
}

async function writerRuns(state: StackState, table: ProcessTable): Promise<boolean> {
  if (typeof state.pid_start !== 'string') return await pidAndNatsLive(state);
  const writer = await table.describe(state.pid);
  return writer !== undefined && !writer.zombie && writer.start === state.pid_start;
}

async function pidAndNatsLive(state: StackState): Promise<boolean> {
  const port = Number(new URL(state.endpoints.nats).port);
  return pidAlive(state.pid) && (await canConnect(port));
}

async function leftover(record: ProcessRecord, dataDir: string, table: ProcessTable): Promise<Leftover | undefined> {
  if (record.pid === null || typeof record.start !== 'string') return undefined;
  const info = await table.describe(record.pid);
  if (info === undefined || info.start !== record.start) return undefined; // ended, or the pid is another's now
  const server = SERVERS.includes(record.name);
  if (!info.zombie) {
    const mark = server ? `${dataDir}/` : `/services/${record.name}/dist/main.js`;
    return info.args.includes(mark) ? { ...identity(record), group: info.pgid === record.pid } : undefined;
  }
  // The leader ended and nobody reaped it (an orphan in a container whose init does not): while it is a zombie, its
  // pid and so its group's id are still its own, and workers left in that group are this stack's.
  if (server && (await table.groupMembers(record.pid)).length > 0) return { ...identity(record), group: true };
  return undefined;
}

function identity(record: ProcessRecord): Omit<Leftover, 'group'> {
  return { name: record.name, pid: record.pid as number, start: record.start as string };
}

/** The stack's processes that lead a group of their own (their workers in it). */
const SERVERS = ['nats-server', 'mlflow'];

/** How long a leftover gets after SIGTERM (as the stack's own stop gives it), and after SIGKILL. */
const GRACE_MS: Record<string, number> = { 'nats-server': 10_000, mlflow: 10_000 };
const SERVICE_GRACE_MS = 20_000;
const KILL_WAIT_MS = 5000;

/**
 * Stops an abandoned stack's processes as its own stop would have: the services first (while NATS still carries
 * their drain), then MLflow, then nats-server; each SIGTERM, then SIGKILL after its grace, the whole group for a
 * server. Resolves with those still running 5 s after their SIGKILL (another user's, say): none when all went well.
 */
export async function stopLeftovers(leftovers: readonly Leftover[], table: ProcessTable): Promise<Leftover[]> {
  const tiers = [
    leftovers.filter((l) => !SERVERS.includes(l.name)),
    leftovers.filter((l) => l.name === 'mlflow'),
    leftovers.filter((l) => l.name === 'nats-server'),
  ];
  const survivors: Leftover[] = [];
  for (const tier of tiers) {
    const ended = await Promise.all(tier.map((l) => stopOne(l, GRACE_MS[l.name] ?? SERVICE_GRACE_MS, table)));
    survivors.push(...tier.filter((_, i) => !ended[i]));
  }
  return survivors;
}

/** True once it ended; it is checked again first, since its pid may have ended and been reused since. */
async function stopOne(leftover: Leftover, graceMs: number, table: ProcessTable): Promise<boolean> {
  if (await ended(leftover, table)) return true;
  signal(leftover, 'SIGTERM');
  if (await endedWithin(leftover, graceMs, table)) return true;
  signal(leftover, 'SIGKILL');
  return await endedWithin(leftover, KILL_WAIT_MS, table);
}

async function endedWithin(leftover: Leftover, ms: number, table: ProcessTable): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await ended(leftover, table)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

async function ended(leftover: Leftover, table: ProcessTable): Promise<boolean> {
  if (leftover.group) return (await table.groupMembers(leftover.pid)).length === 0;
  const info = await table.describe(leftover.pid);
  return info === undefined || info.zombie || info.start !== leftover.start;
}

function signal(leftover: Leftover, name: NodeJS.Signals): void {
  try {
    process.kill(leftover.group ? -leftover.pid : leftover.pid, name);
  } catch {
    // ESRCH: it (and its group) ended already
  }
}
