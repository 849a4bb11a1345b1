import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { runStack } from '../src/commands/up.js';

// The exit code of `mlops up` once its stack is up, on a stack of our own making (no processes).

function fakeStack(failed: Promise<never>, trackingUri = 'http://127.0.0.1:2') {
  let stops = 0;
  const stack = {
    natsUrl: 'nats://127.0.0.1:1',
    failed,
    dirs: { nats: '/d/nats', mlflow: '/d/mlflow', logs: '/d/logs', datasets: '/d/datasets' },
    stateFile: '/d/stack.json',
    predictorUrl: 'http://127.0.0.1:3',
    trackingUri,
    monitorUrl: 'http://127.0.0.1:4',
    stop: async () => {
      stops += 1;
    },
  };
  return { stack, stops: () => stops };
}

const io = { stdout: () => undefined, stderr: () => undefined, cwd: '/d', env: {} };

describe('mlops up once the stack is up', () => {
  it('when a stop signal comes while it serves after the tuning, then it exits 130, as during the tuning', async () => {
    const { stack, stops } = fakeStack(new Promise<never>(() => undefined));
    const code = await runStack(stack as never, { 'no-tune': true }, io, Promise.resolve());
    expect(code).toBe(130);
    expect(stops()).toBe(1);
  });

  it('when the stack gives up on a crash loop while it serves, then it exits 1', async () => {
    const { stack, stops } = fakeStack(Promise.resolve({ type: 'gave-up' }) as never);
    const code = await runStack(stack as never, { 'no-tune': true }, io, new Promise<void>(() => undefined));
    expect(code).toBe(1);
    expect(stops()).toBe(1);
  });
});

/** What a run printed, on each stream. */
function capture(cwd = '/d') {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: (t: string) => {
      out.stdout += t;
    },
    stderr: (t: string) => {
      out.stderr += t;
    },
    cwd,
    env: {},
  };
  return { io, out };
}

let registry: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (registry ? registry.close(resolve) : resolve(undefined)));
  registry = undefined;
});

/** An MLflow registry of our own in which the model has the champion `version`, or is not registered at all. */
async function registryWith(version: string | undefined): Promise<string> {
  registry = createServer((req, res) => {
    const known = version !== undefined && req.url?.startsWith('/api/2.0/mlflow/registered-models/get');
    res.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        known
          ? { registered_model: { name: 'm', aliases: [{ alias: 'champion', version }] } }
          : { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'not found' },
      ),
    );
  });
  await new Promise<void>((resolve) => registry?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(registry.address() as { port: number }).port}`;
}

describe('what mlops up prints around its endpoints and at its end', () => {
  it('when it stops, then its last line says the stack stopped and in how long', async () => {
    const { stack } = fakeStack(new Promise<never>(() => undefined));
    const { io, out } = capture();
    await runStack(stack as never, { 'no-tune': true }, io, Promise.resolve());
    expect(out.stderr.trimEnd().split('\n').slice(-2)).toEqual([
      '› stopping the stack',
      expect.stringMatching(/^› the stack stopped in \d+\.\d s$/),
    ]);
  });

  it('when --no-tune finds no model, then the try line says there is none yet and how to tune one, not a curl', async () => {
    const { stack } = fakeStack(new Promise<never>(() => undefined), await registryWith(undefined));
    const { io, out } = capture();
    await runStack(stack as never, { 'no-tune': true, 'exit-after-tune': true }, io, new Promise(() => undefined));
    expect(out.stdout).toContain(
      'try:        no model yet (/predict answers 503): tune one from another terminal with mlops tune, or start with mlops up --tune\n',
    );
    expect(out.stdout).not.toContain('curl');
  });

  it('when --no-tune finds a champion (or cannot ask MLflow), then the try line is the curl of /predict', async () => {
    for (const trackingUri of [await registryWith('3'), 'http://127.0.0.1:2']) {
      const { stack } = fakeStack(new Promise<never>(() => undefined), trackingUri);
      const { io, out } = capture();
      await runStack(stack as never, { 'no-tune': true, 'exit-after-tune': true }, io, new Promise(() => undefined));
      expect(out.stdout).toContain(
        "try:        curl -s -X POST http://127.0.0.1:3/predict -H 'content-type: application/json'",
      );
    }
  });

  it('when the data directory is not ./data, then it prints the MLOPS_DATA_DIR export for other terminals', async () => {
    const printed = async (dataDir: string | undefined, cwd = '/d') => {
      const { stack } = fakeStack(new Promise<never>(() => undefined));
      const { io, out } = capture(cwd);
      const values = {
        'no-tune': true,
        'exit-after-tune': true,
        ...(dataDir === undefined ? {} : { 'data-dir': dataDir }),
      };
      await runStack(stack as never, values, io, new Promise(() => undefined));
      return out.stdout.split('\n').filter((line) => line.includes('MLOPS_DATA_DIR'));
    };
    const hint = (dir: string) =>
      `elsewhere:  export MLOPS_DATA_DIR=${dir}  (other terminals' mlops commands find this stack)`;
    expect(await printed('runs/a')).toEqual([hint('/d/runs/a')]);
    expect(await printed('/srv/my stack')).toEqual([hint("'/srv/my stack'")]);
    expect(await printed(undefined)).toEqual([]);
    expect(await printed('data')).toEqual([]);
    expect(await printed('/d/data/')).toEqual([]);
  });
});
