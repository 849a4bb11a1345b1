import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LocalStackError } from './errors.js';
import { pidAlive } from './health.js';
import { inspectStack, stopLeftovers } from './leftovers.js';
import { writePrivateFile } from './private-files.js';
import { type ProcessTable, ProcessTableUnavailable, processStart, systemProcessTable } from './process-table.js';
import { readStackState } from './stack-state.js';

/** The lock file of a data directory: held (pid and start token inside) by the one `mlops up` that runs a stack there. */
export const STACK_LOCK_FILE = 'stack.lock';

/** Gives a claimed data directory up again (removes the lock file, if it is still this process's). */
export type ReleaseDataDir = () => Promise<void>;

/**
 * Makes a data directory free for a new stack and claims it: creates it, and takes its lock file atomically (created
 * with its content in one step, so two `mlops up` started at the same moment cannot both pass). Refuses it while
 * another `mlops up` holds the lock, or while the `mlops up` that last ran a stack there still runs (both would share
 * one JetStream store and one MLflow database, and the state file would describe only the second). A lock whose
 * holder is gone (SIGKILL, out of memory) is taken over; if that `mlops up` did not stop its stack, what it left
 * running (which would keep the ports and the stores) is stopped, saying so through `onProgress`. When the process
 * table cannot be read, nothing is stopped, and a live pid whose nats-server answers refuses the directory. Resolves
 * with the release, for when the stack has stopped (or failed to start).
 */
export async function claimDataDir(
  dataDir: string,
  onProgress: (message: string) => void,
  table: ProcessTable = systemProcessTable(),
): Promise<ReleaseDataDir> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const release = await lockDataDir(dataDir, table);
  try {
    await stopPreviousStack(dataDir, onProgress, table);
  } catch (err) {
    await release();
    throw err;
  }
  return release;
}

function refusal(pid: number, dataDir: string): LocalStackError {
  return new LocalStackError(
    `another mlops up (pid ${pid}) runs a stack on ${dataDir}: stop it first, or choose another --data-dir (see mlops status)`,
  );
}

interface LockHolder {
  readonly pid: number;
  readonly start: string | null;
}

/** Takes the data directory's lock file (see {@link tryLockDataDir}); one held by a live process is refused. */
async function lockDataDir(dataDir: string, table: ProcessTable): Promise<ReleaseDataDir> {
  const taken = await tryLockDataDir(dataDir, table);
  if (typeof taken !== 'function') throw refusal(taken.pid, dataDir);
  return taken;
}

/**
 * Runs `run` holding the data directory's lock (a stale one taken over), so that no `mlops up` claims the directory
 * meanwhile; resolves undefined without running it while a live `mlops up` holds the lock.
 */
export async function whileHoldingDataDir<T>(
  dataDir: string,
  run: () => Promise<T>,
  table: ProcessTable = systemProcessTable(),
): Promise<T | undefined> {
  const taken = await tryLockDataDir(dataDir, table);
  if (typeof taken !== 'function') return undefined;
  try {
    return await run();
  } finally {
    await taken();
  }
}

/**
 * Takes the data directory's lock file: written whole to a file of this process's, then linked to the lock's name
 * (which fails while the lock exists). A lock whose holder no longer runs is moved aside (a rename: of two takers
 * only one moves it) and taken; a live lock moved aside by mistake is put back. Resolves with the release, or with
 * the live holder.
 */
async function tryLockDataDir(dataDir: string, table: ProcessTable): Promise<ReleaseDataDir | LockHolder> {
  const file = join(dataDir, STACK_LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, start: await processStart(process.pid, table) };
  const text = `${JSON.stringify(mine)}\n`;
  const tag = `${process.pid}.${randomUUID().slice(0, 8)}`;
  const own = `${file}.${tag}.tmp`;
  await writePrivateFile(own, text); // its user's alone, as every file of the stack (the link keeps the mode)
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      if (await ignoring(['EEXIST'], () => link(own, file))) return () => releaseLock(file, text);
      const held = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (held === undefined) continue; // released meanwhile
      const holder = parseLock(held);
      if (holder !== undefined && (await holderRuns(holder, table))) return holder;
      const aside = `${file}.${tag}.stale`;
      if ((await ignoring(['ENOENT'], () => rename(file, aside))) === undefined) continue;
      const moved = await readFile(aside, 'utf8');
      if (moved !== held) await ignoring(['EEXIST'], () => link(aside, file)); // a new holder's: put it back
      await unlink(aside);
    }
    throw new LocalStackError(`cannot take the lock ${file}: other processes keep taking it`);
  } finally {
    await ignoring(['ENOENT'], () => unlink(own));
  }
}

/** True when `run` succeeds, undefined when it fails with one of `codes`. */
async function ignoring(codes: readonly string[], run: () => Promise<void>): Promise<true | undefined> {
  try {
    await run();
    return true;
  } catch (err) {
    if (codes.includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  }
}

function parseLock(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as LockHolder;
    return Number.isSafeInteger(holder?.pid) && holder.pid > 0
      ? { pid: holder.pid, start: holder.start ?? null }
      : undefined;
  } catch {
    return undefined; // not a lock any mlops up wrote: nobody holds it
  }
}

/** The holder runs: its pid with the start token it recorded (without one, or without a process table: its pid). */
async function holderRuns(holder: LockHolder, table: ProcessTable): Promise<boolean> {
  try {
    const info = await table.describe(holder.pid);
    return info !== undefined && !info.zombie && (holder.start === null || info.start === holder.start);
  } catch (err) {
    if (err instanceof ProcessTableUnavailable) return pidAlive(holder.pid);
    throw err;
  }
}

async function releaseLock(file: string, text: string): Promise<void> {
  const held = await readFile(file, 'utf8').catch(() => undefined);
  if (held === text) await unlink(file).catch(() => undefined);
}

/**
 * Refuses the data directory while the `mlops up` its state file names still runs (one from before the lock file);
 * stops what a stack whose `mlops up` ended without stopping it left running.
 */
async function stopPreviousStack(
  dataDir: string,
  onProgress: (message: string) => void,
  table: ProcessTable,
): Promise<void> {
  const state = await readStackState(dataDir).catch(() => undefined);
  if (state === undefined || state.pid === process.pid) return;
  const previous = await inspectStack(state, table);
  if (previous.kind === 'running') throw refusal(previous.pid, dataDir);
  if (previous.kind === 'none') return;
  const names = previous.leftovers.map((l) => `${l.name} (pid ${l.pid})`).join(', ');
  onProgress(`the mlops up (pid ${previous.pid}) before this one ended without stopping its stack: stopping ${names}`);
  const survivors = await stopLeftovers(previous.leftovers, table);
  if (survivors.length === 0) return;
  throw new LocalStackError(
    `could not stop ${survivors.map((l) => `${l.name} (pid ${l.pid})`).join(', ')}, left by the mlops up before: stop it yourself (another user's?), then start again`,
  );
}

/**
 * Refuses a fixed port something already holds: the stack's readiness probe would find that other server answering
 * and take it for its own (a second stack would join the first), while its own server dies of EADDRINUSE.
 */
export async function refuseTakenPort(name: string, port: number, flag: string): Promise<void> {
  if (await canBind(port)) return;
  throw new LocalStackError(
    `port ${port} for ${name} is in use (another mlops up? see mlops status): stop what holds it, or choose ${flag}`,
  );
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}
