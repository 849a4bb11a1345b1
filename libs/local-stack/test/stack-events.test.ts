import { NotReadyError, ProcessExitedError } from '@mlops/supervisor';
import { describe, expect, it } from 'vitest';
import { describeExit, describeRestartFailure, formatStackEvent } from '../src/stack-events.js';

const LOG = '/home/me/project/data/logs/tracker.log';

describe('stack events as console lines', () => {
  it('when a service exits, then the line says how, when it restarts and where its log is (relative to cwd)', () => {
    const event = {
      type: 'exited',
      name: 'tracker',
      reason: 'exited (code 1, signal null)',
      delayMs: 1000,
      log: LOG,
    } as const;
    expect(formatStackEvent(event, '/home/me/project')).toBe(
      'tracker exited (code 1, signal null); restarting in 1 s — log: data/logs/tracker.log',
    );
    expect(formatStackEvent({ ...event, delayMs: 500 }, '/elsewhere')).toBe(
      `tracker exited (code 1, signal null); restarting in 0.5 s — log: ${LOG}`,
    );
  });

  it('when a service is back, then the line gives its restart count and new pid', () => {
    const event = { type: 'restarted', name: 'tracker', pid: 4242, restarts: 2, log: LOG } as const;
    expect(formatStackEvent(event, '/home/me/project')).toBe(
      'tracker ready again (restart 2, pid 4242) — log: data/logs/tracker.log',
    );
  });

  it('when a service is moved to a free port, then the line says why and where it answers now', () => {
    const event = { type: 'moved', name: 'monitor', health: 'http://127.0.0.1:4711/ready', log: LOG } as const;
    expect(formatStackEvent(event, '/home/me/project')).toBe(
      "monitor's port was taken by another process while it was down; starting it on http://127.0.0.1:4711/ready — log: data/logs/tracker.log",
    );
  });

  it('when the stack gives up, then the event is a header and the last log lines, indented', () => {
    const event = {
      type: 'gave-up',
      name: 'tracker',
      rule: 'exits-in-window',
      reason: 'exited (code 1, signal null)',
      exits: 5,
      windowMs: 60_000,
      log: LOG,
      lastLines: ['{"level":50,"msg":"boom"}', 'bye'],
    } as const;
    expect(formatStackEvent(event, '/home/me/project').split('\n')).toEqual([
      'tracker exited (code 1, signal null): 5 exits within 60 s, a crash loop; not restarting it — log: data/logs/tracker.log',
      '  its last 2 lines:',
      '    {"level":50,"msg":"boom"}',
      '    bye',
    ]);
  });

  it('when the stack gives up on restarts that never got ready, then the line states that rule, not a window', () => {
    const event = {
      type: 'gave-up',
      name: 'mlflow',
      rule: 'never-ready',
      reason: 'not ready 30000 ms after a restart',
      exits: 5,
      windowMs: 92_268,
      log: LOG,
      lastLines: [],
    } as const;
    expect(formatStackEvent(event, '/home/me/project').split('\n')[0]).toBe(
      'mlflow not ready 30000 ms after a restart: 5 restarts in a row never got ready, a crash loop; not restarting it — log: data/logs/tracker.log',
    );
  });

  it('describes exits, spawn failures and failed restarts in a few words', () => {
    expect(describeExit({ code: null, signal: 'SIGKILL', requested: false })).toBe(
      'exited (code null, signal SIGKILL)',
    );
    const enoent = new Error('spawn x ENOENT');
    expect(describeExit({ code: null, signal: null, requested: false, error: enoent })).toBe(
      'could not be started (spawn x ENOENT)',
    );
    const exited = new ProcessExitedError('tracker', { code: 2, signal: null, requested: false }, '');
    expect(describeRestartFailure(exited)).toBe('exited (code 2, signal null) while starting again');
    expect(describeRestartFailure(new NotReadyError('tracker', 30_000, ''))).toBe('not ready 30000 ms after a restart');
  });
});
