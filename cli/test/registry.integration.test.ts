import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { type StandIn, startStandIn } from './support/stand-in-service.js';

// What `mlops rollback` and `mlops promote` send on a real nats-server when an answer does not come. The test answers
// in the tracker's place, so it can leave the first requests unanswered; how the tracker treats a repeated request id
// is in services/tracker/test (repeated-requests, gate.component).

let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn();
}, 30_000);

afterAll(async () => {
  await standIn?.close();
});

const MOVED = { status: 'ok', name: 'm', version: '2', previous_version: '3' };

/** Answers `subject` like the tracker, but only from the `answerFrom`-th request on; returns the bodies received. */
const answering = (subject: string, answerFrom: number, reply: object = MOVED) =>
  standIn.answering(subject, reply, answerFrom);

const run = (...argv: string[]) => runCli(argv, { cwd: process.cwd(), env: { USER: 'ana' } });

describe('mlops rollback and promote when the answer is lost', () => {
  it('when the first request is not answered, then the same request with the same id is sent again and its answer shown', async () => {
    const tracker = await answering('registry.rollback', 2);
    const result = await run(
      'rollback',
      '--name',
      'm',
      '--reason',
      'complaints',
      '--nats',
      standIn.url,
      '--timeout',
      '1',
    );
    tracker.stop();
    expect(result).toEqual({
      code: 0,
      stdout: 'champion of m is now version 2 (was version 3)\n',
      stderr: 'no answer on registry.rollback within 1 s: asking again\n',
    });
    expect(tracker.received).toHaveLength(2);
    expect(tracker.received[1]).toEqual(tracker.received[0]);
    expect(tracker.received[0]).toEqual({
      name: 'm',
      reason: 'complaints',
      by: 'mlops CLI (ana)',
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  }, 30_000);

  it('when no answer ever comes, then it gives up after three tries naming the id to send again with', async () => {
    const tracker = await answering('registry.promote', Number.POSITIVE_INFINITY);
    const argv = ['promote', '--version', '2', '--reason', 'x', '--nats', standIn.url, '--timeout', '1'];
    const result = await run(...argv, '--request-id', 'fix-42');
    tracker.stop();
    expect(result.code).toBe(1);
    expect(tracker.received.map((body) => body.request_id)).toEqual(['fix-42', 'fix-42', 'fix-42']);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'mlops promote: registry.promote failed: timeout; a request went unanswered, so the move may still happen: send it again with --request-id fix-42 to make it at most once',
    );
  }, 30_000);

  it('when the tracker answers from a move made earlier under the id, then it says when, and where champion is now', async () => {
    const repeat = { ...MOVED, repeat_of: { made_at: '2026-12-03T12:00:00.000Z', champion: '4' } };
    const tracker = await answering('registry.rollback', 1, repeat);
    const result = await run('rollback', '--name', 'm', '--nats', standIn.url, '--request-id', 'rb-7');
    tracker.stop();
    expect(result).toEqual({
      code: 0,
      stdout:
        'this request was made at 2026-12-03T12:00:00.000Z: it moved m to version 2 (was version 3); champion is version 4 now\n',
      stderr: '',
    });
    expect(tracker.received[0]).toMatchObject({ request_id: 'rb-7' });
  }, 30_000);

  it('when the tracker stops answering after a request went unanswered, then the error still names the id', async () => {
    const tracker = await answering('registry.rollback', Number.POSITIVE_INFINITY);
    const pending = run('rollback', '--nats', standIn.url, '--timeout', '1', '--request-id', 'rb-8');
    await new Promise((resolve) => setTimeout(resolve, 500));
    tracker.stop(); // the retry finds no responder
    const result = await pending;
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'mlops rollback: no answer from the tracker on registry.rollback in 1 s (nothing subscribes to it): if the stack is running, it may be restarting: try again; if not, start it (bash scripts/up.sh); see mlops status; a request went unanswered, so the move may still happen: send it again with --request-id rb-8 to make it at most once',
    );
  }, 30_000);

  it('when --timeout is not a positive whole number, then it refuses before connecting', async () => {
    const result = await run('rollback', '--timeout', '0', '--nats', 'nats://127.0.0.1:1');
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mlops rollback: --timeout needs at least 1 second, got 0\n',
    });
  });
});

describe('mlops history when the monitor knows no retrain', () => {
  it('when a model is named, then the answer names it; without one it speaks of every model', async () => {
    const monitor = await answering('monitor.history', 1, { status: 'ok', retrains: [] });
    const named = await run('history', '--model', 'nope', '--nats', standIn.url);
    const all = await run('history', '--nats', standIn.url);
    monitor.stop();
    const why = 'yet (the monitor starts one when drift persists or performance degrades; or: mlops retrain)\n';
    expect(named).toEqual({ code: 0, stdout: `no retrain of "nope" ${why}`, stderr: '' });
    expect(all).toEqual({ code: 0, stdout: `no retrain ${why}`, stderr: '' });
    expect(monitor.received).toEqual([{ model: 'nope', limit: 20 }, { limit: 20 }]);
  }, 30_000);
});
