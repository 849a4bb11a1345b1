import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { type StandIn, startStandIn } from './support/stand-in-service.js';

// What `mlops models`, `promote`, `rollback` and `monitor` print and return for the answers the tracker and the monitor
// give when they know nothing of what was asked, on a real nats-server. The test answers in the services' place, with
// the replies services/tracker/src/domain/champion-control.ts and the monitor's status give.

let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn();
}, 30_000);

afterAll(async () => {
  await standIn?.close();
});

/** Answers every request on `subject` with `reply`; returns the bodies received. */
const answering = (subject: string, reply: object) => standIn.answering(subject, reply);

const run = (...argv: string[]) =>
  runCli([...argv, '--nats', standIn.url], { cwd: process.cwd(), env: { USER: 'ana' } });
const rejected = (...errors: { path: string; message: string }[]) => ({ status: 'rejected', errors });

describe('mlops models when the tracker knows no such model', () => {
  it('when --name names no registered model, then it says so in one line without "nothing changed" and exits 1', async () => {
    const tracker = await answering(
      'registry.models',
      rejected({ path: 'name', message: 'no registered model named "Nope"' }),
    );
    const result = await run('models', '--name', 'Nope');
    tracker.stop();
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'mlops models: no registered model named "Nope"\n' });
    expect(tracker.received).toEqual([{ name: 'Nope' }]);
  }, 30_000);

  it('when the tracker does not answer within 15 s, then it says so and points to mlops status (exit 1)', async () => {
    const hung = await standIn.answering('registry.models', { status: 'ok' }, Number.POSITIVE_INFINITY);
    const result = await run('models');
    hung.stop();
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'mlops models: the tracker did not answer registry.models within 15 s: see mlops status (is the tracker running, or busy?)\n',
    });
  }, 30_000);

  it('when no model is registered yet and none is named, then it says so and points to mlops tune (exit 0)', async () => {
    const none = rejected({ path: 'name', message: 'no registered model named "One_Customer_Classifier"' });
    const tracker = await answering('registry.models', none);
    const result = await run('models');
    tracker.stop();
    expect(result).toEqual({
      code: 0,
      stdout:
        'no model is registered yet (no registered model named "One_Customer_Classifier"): mlops tune trains one and registers it\n',
      stderr: '',
    });
    expect(tracker.received).toEqual([{}]);
  }, 30_000);

  it('when the tracker refuses a listing for another reason, then it says the tracker refused, not that nothing changed', async () => {
    const tracker = await answering('registry.models', rejected({ path: 'limit', message: 'Too big' }));
    const result = await run('models');
    tracker.stop();
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'mlops models: the tracker refused the request: limit: Too big\n',
    });
  }, 30_000);
});

describe('mlops rollback and promote refused by the tracker', () => {
  it('when there is nothing to roll back, then the reason is printed without a "name:" key blaming a flag', async () => {
    const nothing = rejected({ path: 'name', message: 'no champion before v1 in the promotion history' });
    const tracker = await answering('registry.rollback', nothing);
    const result = await run('rollback', '--reason', 'x');
    tracker.stop();
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'mlops rollback: refused, nothing changed: no champion before v1 in the promotion history\n',
    });
  }, 30_000);

  it('when a promotion is refused for several reasons, then each is on its own line, a field other than name keyed', async () => {
    const two = rejected(
      { path: 'version', message: 'm has no version 9: see mlops models' },
      { path: 'name', message: 'm has no champion to roll back' },
    );
    const tracker = await answering('registry.promote', two);
    const result = await run('promote', '--version', '9', '--reason', 'x', '--name', 'm');
    tracker.stop();
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'mlops promote: refused, nothing changed:\n  version: m has no version 9: see mlops models\n  m has no champion to roll back\n',
    });
  }, 30_000);

  it('when --version is malformed, then nothing is sent', async () => {
    const tracker = await answering(
      'registry.promote',
      rejected({ path: 'version', message: 'a version number such as "3"' }),
    );
    const result = await run('promote', '--version', 'abc', '--reason', 'x');
    tracker.stop();
    expect(result.code).toBe(2);
    expect(tracker.received).toEqual([]);
  }, 30_000);
});

describe('mlops monitor when the monitor has seen nothing of what is asked', () => {
  const empty = { status: 'ok', versions: [] };
  const hint = '(mlops monitor without --name and --version lists what it has seen)';

  it('when --version or --name names nothing the monitor saw, then it says so on stderr and exits 1; with neither, exit 0 (a fresh stack)', async () => {
    const monitor = await answering('monitor.status', empty);
    const version = await run('monitor', '--version', '9');
    const name = await run('monitor', '--name', 'Nope');
    const fresh = await run('monitor');
    monitor.stop();
    expect(version).toEqual({
      code: 1,
      stdout: '',
      stderr: `mlops monitor: the monitor has seen no predictions of version 9 ${hint}\n`,
    });
    expect(name).toEqual({
      code: 1,
      stdout: '',
      stderr: `mlops monitor: the monitor has seen no predictions of model Nope ${hint}\n`,
    });
    expect(fresh).toEqual({
      code: 0,
      stdout: 'the monitor has seen no predictions yet (send some to POST /predict)\n',
      stderr: '',
    });
    expect(monitor.received).toEqual([{ version: '9' }, { name: 'Nope' }, {}]);
  }, 30_000);

  it('when --version is not a whole number, then nothing is sent and no raw schema message is shown', async () => {
    const monitor = await answering('monitor.status', {
      status: 'refused',
      message: 'not a status request: version: Invalid string: must match pattern /^\\d+$/',
    });
    const result = await run('monitor', '--version', 'abc');
    monitor.stop();
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mlops monitor: --version needs a whole number such as 3, got "abc"\n',
    });
    expect(monitor.received).toEqual([]);
  }, 30_000);
});

describe('mlops retrain when the monitor starts none', () => {
  it('when the monitor skips the retrain, then the reason is one line prefixed "mlops retrain:" (exit 1)', async () => {
    const monitor = await answering('monitor.retrain', {
      status: 'skipped',
      reason: 'too_few_labels',
      message: '3 labelled rows, at least 50 needed',
    });
    const result = await run('retrain', '--reason', 'drift');
    monitor.stop();
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'mlops retrain: no retrain started (too few labels): 3 labelled rows, at least 50 needed\n',
    });
    expect(monitor.received).toEqual([{ reason: 'drift', requested_by: 'ana' }]);
  }, 30_000);
});

describe('a service that is not subscribed when asked', () => {
  it('when no monitor subscribes, then the error says no answer came in 3 s and that a running stack may be restarting', async () => {
    const started = Date.now();
    const result = await runCli(['history', '--nats', standIn.url], { cwd: process.cwd(), env: {} });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'mlops history: no answer from the monitor on monitor.history in 3 s (nothing subscribes to it): if the stack is running, it may be restarting: try again; if not, start it (bash scripts/up.sh); see mlops status\n',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  }, 30_000);

  it('when the monitor subscribes a moment after the request, then the request is sent again and answered', async () => {
    const pending = runCli(['history', '--nats', standIn.url], { cwd: process.cwd(), env: {} });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const monitor = await standIn.answering('monitor.history', { status: 'ok', retrains: [] });
    const result = await pending;
    monitor.stop();
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(monitor.received).toEqual([{ limit: 20 }]);
  }, 30_000);
});
