import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Bus, connectBus, requestReply, watchEvents } from '@mlops/bus';
import { STREAMS, SUBJECTS, type ValidationProblem } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer, within } from '@mlops/testkit';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsTrainerBus } from '../src/adapters/nats-bus.js';
import { createTrainer } from '../src/service.js';
import { testTrainerConfig } from './support/trainer-config.js';
import { queuedWork } from './support/tuning-run.js';

// The security review's case: a link in the data directory to a file outside it (`ln -s /etc/passwd pw.csv`) was
// read, and a request naming a column it lacks echoed the file's first line (as its columns) into the reply, the
// trainer's log and the TUNE_REQUESTS stream. Here the file outside holds a line that must never come back, and the
// link is refused before anything of it is read: at intake, and by the worker for a tuning stored on the work queue
// without the intake. A FIFO in the data directory is refused by the worker too, instead of blocking its read.

/** The first line of the file outside the data directory: nothing of it may be seen anywhere. */
const SECRET = 'root:x:0:0:confined-secret:/root:/bin/bash';

let nats: NatsServerHandle;
let client: NatsConnection;
let jsm: JetStreamManager;
let publisher: Bus;
let trainer: ReturnType<typeof createTrainer>;
let dataDir: string;
let outside: string;
const lines: string[] = [];
const silent = createLogger({ service: 'data-dir-confinement-test', level: 'silent' });

beforeAll(async () => {
  nats = await startNatsServer();
  client = await connect({ servers: nats.url });
  jsm = await jetstreamManager(client);
  publisher = await connectBus({ servers: nats.url, name: 'confinement-publisher', logger: silent });
  outside = await mkdtemp(join(tmpdir(), 'confinement-outside-'));
  dataDir = await mkdtemp(join(tmpdir(), 'confinement-data-'));
  await writeFile(join(outside, 'passwd'), `${SECRET}\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n`);
  await symlink(join(outside, 'passwd'), join(dataDir, 'pw.csv'));
  execFileSync('mkfifo', [join(dataDir, 'pipe.csv')]);
  // Every line the trainer logs, its bus's too, at every level.
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ service: 'trainer', level: 'trace', destination: sink });
  const bus = await connectBus({ servers: nats.url, name: 'confinement-trainer', logger });
  const config = testTrainerConfig(nats.url, dataDir, 'confinement-trainer');
  trainer = createTrainer(config, { bus: natsTrainerBus(bus, config), logger });
  await trainer.start(); // its intake is on the server when this resolves (a CI run once got "no responders" here)
}, 30_000);
afterAll(async () => {
  await trainer?.stop();
  await publisher?.close();
  await client?.drain();
  await nats?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

/** The refusal of a path that leads out of the data directory: it names neither where it leads nor what it holds. */
const linksOutside = (path: string) =>
  `dataset ${JSON.stringify(path)}: must be a file inside the trainer data directory ${dataDir} (it links outside it)`;

/** Every message stored in TUNE_REQUESTS (requests, and the tune.rejected of each refusal), as its JSON text. */
async function storedTuneRequests(): Promise<string[]> {
  const { state } = await jsm.streams.info(STREAMS.tuneRequests.name);
  const stored: string[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(STREAMS.tuneRequests.name, { seq });
    stored.push(message === null ? '' : message.string());
  }
  return stored;
}

/** Where anything of the file outside shows: its secret line, or its path. */
async function leaks(): Promise<string[]> {
  const seen = [...lines, ...(await storedTuneRequests())];
  return seen.filter((text) => text.includes('confined-secret') || text.includes(outside));
}

/** Stores a tuning of `dataset` straight on the work queue (as a publisher that skips the intake could), and resolves with its tune.rejected errors. */
async function queuedWithoutIntake(tuningId: string, dataset: Record<string, unknown>): Promise<ValidationProblem[]> {
  const work = queuedWork(tuningId, { dataset, grid: { C: [1], solver: 'lbfgs' } });
  let settle: (errors: ValidationProblem[]) => void = () => undefined;
  const rejected = new Promise<ValidationProblem[]>((resolve) => {
    settle = resolve;
  });
  const watch = watchEvents(client, SUBJECTS.tuneRejected, (event) => {
    if (event.data.tuning_id === tuningId) settle(event.data.errors);
  });
  await client.flush();
  try {
    await publisher.publishEvent(SUBJECTS.tuningRequested, work, { key: tuningId });
    return await within(rejected, 10_000, `tune.rejected of ${tuningId}`);
  } finally {
    watch.unsubscribe();
  }
}

describe('a data set path that leads out of the data directory', () => {
  it('when a tune request names a link to a file outside it and a column that file lacks, then the intake refuses the path, and nothing of the file reaches the reply, the TUNE_REQUESTS stream or the log', async () => {
    const body = '{"dataset":{"kind":"csv","path":"pw.csv","target":"nope"}}';

    const reply = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });

    expect(reply).toEqual({
      status: 'rejected',
      tuning_id: null,
      errors: [{ path: 'dataset.path', message: linksOutside('pw.csv') }],
    });
    const refusal = JSON.stringify(linksOutside('pw.csv'));
    expect((await storedTuneRequests()).filter((text) => text.includes(refusal))).toHaveLength(1);
    expect(await leaks()).toEqual([]);
  });

  it('when a tuning naming the link is stored on the work queue without the intake, then the worker refuses it the same way, reading nothing of the file', async () => {
    const errors = await queuedWithoutIntake('linked-1', { kind: 'csv', path: 'pw.csv', target: 'nope' });

    expect(errors).toEqual([{ path: 'dataset', message: linksOutside('pw.csv') }]);
    expect(await leaks()).toEqual([]);
  });

  it('when a tuning naming a FIFO in the data directory is stored on the work queue without the intake, then the worker refuses it at once as not a regular file (a read would wait for a writer for ever)', async () => {
    const errors = await queuedWithoutIntake('fifo-1', { kind: 'csv', path: 'pipe.csv' });

    expect(errors).toEqual([{ path: 'dataset', message: 'dataset "pipe.csv": is not a regular file' }]);
  });
});
