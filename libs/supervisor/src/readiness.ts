import { setTimeout as sleep } from 'node:timers/promises';
import { NotReadyError, ProcessExitedError } from './errors.js';
import type { ExitStatus } from './exit.js';

/** What a readiness probe may look at: the starting process's state and its own output so far. */
export interface ProbeTarget {
  readonly name: string;
  /** The current run's pid (undefined before a spawn succeeded). */
  readonly pid?: number | undefined;
  exitStatus(): ExitStatus | undefined;
  /** The retained lines printed by the current run (not by earlier runs). */
  runLines(): readonly string[];
}

/** Answers whether a starting process is ready; called every `intervalMs` until it answers true. */
export type ReadinessProbe = (target: ProbeTarget) => boolean | Promise<boolean>;

/** When a process counts as started: `probe` answers true within `timeoutMs`. */
export interface Readiness {
  readonly probe: ReadinessProbe;
  /** @defaultValue 30000 */
  readonly timeoutMs?: number;
  /** @defaultValue 200 */
  readonly intervalMs?: number;
}

/** The target of {@link waitReady}: a probe target whose end wakes the wait early. */
export interface WaitTarget extends ProbeTarget {
  readonly exited: Promise<ExitStatus>;
}

/** Lines quoted in readiness errors. */
const QUOTED_LINES = 60;

/** Polls the probe until it answers true; throws if the process exits first or the budget runs out. */
export async function waitReady(target: WaitTarget, readiness: Readiness): Promise<void> {
  const timeoutMs = readiness.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const quoted = () => target.runLines().slice(-QUOTED_LINES).join('\n');
  for (;;) {
    const status = target.exitStatus();
    if (status !== undefined) throw new ProcessExitedError(target.name, status, quoted());
    if (await readiness.probe(target)) return;
    if (Date.now() >= deadline) break;
    await Promise.race([sleep(readiness.intervalMs ?? 200), target.exited]);
  }
  throw new NotReadyError(target.name, timeoutMs, quoted());
}
