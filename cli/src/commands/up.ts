import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type LocalStack, startLocalStack } from '@mlops/local-stack';
import type { CliIo } from '../io.js';
import { integerOption, stringOptions } from '../options.js';
import { tuneCommand } from './tune.js';

/** Help text for `mlops up`. */
export const UP_USAGE = `usage: mlops up [--data-dir data] [--nats-port 4222] [--mlflow-port 5000] [--predictor-port 8080]
  [--no-tune] [--exit-after-tune]
Runs the whole local stack — nats-server (JetStream), MLflow (SQLite + artifact proxy), trainer, tracker,
predictor, monitor — with data under --data-dir, publishes the default tune request, prints the results, and keeps
/predict and the MLflow UI serving until Ctrl-C. Logs go to <data-dir>/logs/.`;

const FLAGS = ['data-dir', 'nats-port', 'mlflow-port', 'predictor-port'] as const;

/** `mlops up`: the local stack, in the foreground. */
export async function upCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...stringOptions(FLAGS), 'no-tune': { type: 'boolean' }, 'exit-after-tune': { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  const stack = await startLocalStack({
    dataDir: resolve(io.cwd, values['data-dir'] ?? 'data'),
    ports: {
      nats: integerOption(values, 'nats-port'),
      mlflow: integerOption(values, 'mlflow-port'),
      predictor: integerOption(values, 'predictor-port'),
    },
    env: { ...io.env },
    cwd: io.cwd,
    onProgress: (message) => io.stderr(`› ${message}\n`),
  });
  try {
    io.stderr(`› stack is up; logs in ${stack.dirs.logs}\n`);
    const tuned = values['no-tune'] === true ? 0 : await tuneCommand(['--nats', stack.natsUrl], io);
    printEndpoints(io, stack);
    if (values['exit-after-tune'] === true) return tuned;
    await untilSignalled(stack, io);
    return tuned;
  } finally {
    io.stderr('› stopping the stack\n');
    await stack.stop();
  }
}

function printEndpoints(io: CliIo, stack: LocalStack): void {
  const predictUrl = `${stack.predictorUrl}/predict`;
  io.stdout(`\nMLflow UI:  ${stack.trackingUri}\n/predict:   ${predictUrl}\n`);
  io.stdout(
    `try:        curl -s -X POST ${predictUrl} -H 'content-type: application/json' -d '{"features": [${Array(20).fill(0).join(', ')}]}'\n`,
  );
}

/** Until Ctrl-C or SIGTERM, or until a process of the stack ends on its own (nothing restarts it yet). */
function untilSignalled(stack: LocalStack, io: CliIo): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    void stack.firstExit.then(({ name, status }) => {
      io.stderr(`› ${name} exited (code ${status.code}, signal ${status.signal}); see ${stack.dirs.logs}\n`);
      resolve();
    });
  });
}
