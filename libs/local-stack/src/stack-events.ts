import { isAbsolute, relative } from 'node:path';
import { type ExitStatus, NotReadyError, ProcessExitedError } from '@mlops/supervisor';

/** A process of the stack ended on its own (or did not get ready again); it is restarted after `delayMs`. */
export interface ProcessExitedEvent {
  readonly type: 'exited';
  readonly name: string;
  /** What happened, e.g. `exited (code 1, signal null)`. */
  readonly reason: string;
  readonly delayMs: number;
  readonly log: string;
}

/** A restarted process answered its readiness probe again. */
export interface ProcessRestartedEvent {
  readonly type: 'restarted';
  readonly name: string;
  readonly pid: number | undefined;
  /** Restarts of this process since the stack started, this one included. */
  readonly restarts: number;
  readonly log: string;
}

/**
 * A service's health port was taken by another process while the service was down: it was restarted on a free port,
 * and answers on `health` from now on.
 */
export interface ProcessMovedEvent {
  readonly type: 'moved';
  readonly name: string;
  readonly health: string;
  readonly log: string;
}

/**
 * A process is in a crash loop: it ended too often within the window (`exits-in-window`), or as many restarts in a
 * row never got ready (`never-ready`). It stays down, and the stack has failed.
 */
export interface ProcessGaveUpEvent {
  readonly type: 'gave-up';
  readonly name: string;
  /** Which crash-loop rule fired. */
  readonly rule: 'exits-in-window' | 'never-ready';
  /** What happened the last time. */
  readonly reason: string;
  /** Exits within the window, or restarts in a row that never got ready. */
  readonly exits: number;
  /** The crash-loop window; with `never-ready`, the time from the exit to the last failed restart. */
  readonly windowMs: number;
  readonly log: string;
  /** The process's last output lines (across its runs). */
  readonly lastLines: readonly string[];
}

/** What the local stack's supervision reports, one event per exit, restart, move to a new port or crash loop. */
export type StackEvent = ProcessExitedEvent | ProcessRestartedEvent | ProcessMovedEvent | ProcessGaveUpEvent;

/** How a run ended, in a few words: `exited (code 1, signal null)`. */
export function describeExit(status: ExitStatus): string {
  if (status.error !== undefined) return `could not be started (${status.error.message})`;
  return `exited (code ${status.code}, signal ${status.signal})`;
}

/** Why a restart did not bring a process back: its run ended, or it was not ready in time. */
export function describeRestartFailure(err: unknown): string {
  if (err instanceof ProcessExitedError) return `${describeExit(err.status)} while starting again`;
  if (err instanceof NotReadyError) return `not ready ${err.timeoutMs} ms after a restart`;
  return `could not be restarted (${err instanceof Error ? err.message : String(err)})`;
}

/** One line for a console (a crash loop adds the last log lines), log paths relative to `cwd` when inside it. */
export function formatStackEvent(event: StackEvent, cwd?: string): string {
  const log = `log: ${shortPath(event.log, cwd)}`;
  switch (event.type) {
    case 'exited':
      return `${event.name} ${event.reason}; restarting in ${seconds(event.delayMs)} — ${log}`;
    case 'restarted':
      return `${event.name} ready again (restart ${event.restarts}, pid ${event.pid ?? '?'}) — ${log}`;
    case 'moved':
      return `${event.name}'s port was taken by another process while it was down; starting it on ${event.health} — ${log}`;
    case 'gave-up': {
      const rule =
        event.rule === 'never-ready'
          ? `${event.exits} restarts in a row never got ready`
          : `${event.exits} exits within ${seconds(event.windowMs)}`;
      const head = `${event.name} ${event.reason}: ${rule}, a crash loop; not restarting it — ${log}`;
      const lines = event.lastLines.length === 0 ? ['    (no output)'] : event.lastLines.map((line) => `    ${line}`);
      return [head, `  its last ${event.lastLines.length} lines:`, ...lines].join('\n');
    }
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function shortPath(path: string, cwd: string | undefined): string {
  if (cwd === undefined) return path;
  const inside = relative(cwd, path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}
