import { createServer } from 'node:net';
import { canConnect } from '@mlops/supervisor';
import { LocalStackError } from './errors.js';
import { pidAlive } from './health.js';
import { readStackState } from './stack-state.js';

/**
 * Refuses a second stack on a data directory whose `mlops up` still runs (its state file names a live pid, and its
 * nats-server answers: a pid alone may have been reused since a reboot or a kill): both would share one JetStream
 * store and one MLflow database, and the state file would describe only the second.
 */
export async function refuseRunningStack(dataDir: string, ownPid = process.pid): Promise<void> {
  const state = await readStackState(dataDir).catch(() => undefined);
  if (state === undefined || state.pid === ownPid || !['starting', 'running', 'stopping'].includes(state.state)) return;
  if (!pidAlive(state.pid) || !(await canConnect(Number(new URL(state.endpoints.nats).port)))) return;
  throw new LocalStackError(
    `another mlops up (pid ${state.pid}) runs a stack on ${dataDir}: stop it first, or choose another --data-dir (see mlops status)`,
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
