import { createServer } from 'node:net';
import { LocalStackError } from './errors.js';
import { inspectPreviousStack, type PreviousStack, stackWriterRuns, stopLeftovers } from './leftovers.js';
import { type ProcessTable, ProcessTableUnavailable, systemProcessTable } from './process-table.js';
import { readStackState } from './stack-state.js';

/**
 * Makes a data directory free for a new stack. Refuses it while the `mlops up` that last ran a stack there still runs
 * (both would share one JetStream store and one MLflow database, and the state file would describe only the second).
 * If that `mlops up` ended without stopping its stack (SIGKILL, out of memory), stops what it left running (which
 * would keep the ports and the stores), saying so through `onProgress`. When the process table cannot be read,
 * nothing is stopped, and a live pid whose nats-server answers refuses the directory.
 */
export async function claimDataDir(
  dataDir: string,
  onProgress: (message: string) => void,
  table: ProcessTable = systemProcessTable(),
): Promise<void> {
  const state = await readStackState(dataDir).catch(() => undefined);
  if (state === undefined || state.pid === process.pid) return;
  let previous: PreviousStack;
  try {
    previous = await inspectPreviousStack(state, table);
  } catch (err) {
    if (!(err instanceof ProcessTableUnavailable)) throw err;
    previous = (await stackWriterRuns(state, table)) ? { kind: 'running', pid: state.pid } : { kind: 'none' };
  }
  if (previous.kind === 'running') {
    throw new LocalStackError(
      `another mlops up (pid ${previous.pid}) runs a stack on ${dataDir}: stop it first, or choose another --data-dir (see mlops status)`,
    );
  }
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
