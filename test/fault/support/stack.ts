import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEAD_LETTER_STREAM, requestReply } from '@mlops/bus';
import { parseEvent, STREAMS, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import {
  findFreePort,
  type MlflowServerHandle,
  type NatsServerHandle,
  type ServiceName,
  type ServiceProcessHandle,
  startMlflowServer,
  startNatsServer,
  startServiceProcess,
} from '@mlops/testkit';
import { type ConsumerInfo, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/** Options of {@link FaultStack.start}. */
export interface FaultStackOptions {
  /** The run's shared MLflow server, unless the case stops MLflow (then a private one on a fixed port and dir). */
  readonly mlflowUri?: string;
  /** The services to start, in this order. @defaultValue all three */
  readonly services?: readonly ServiceName[];
  /**
   * Environment of one service on top of what the stack sets, on every start (e.g. the tracker's
   * `MLFLOW_TRACKING_URI` pointing at a proxy in front of MLflow).
   */
  readonly env?: Partial<Record<ServiceName, Readonly<Record<string, string>>>>;
  /**
   * NATS servers the case runs itself (a cluster): their URLs, comma-separated, and the stream replicas the services
   * create; the stack then starts no nats-server of its own.
   */
  readonly nats?: { readonly urls: string; readonly streamReplicas: number };
}

/** A message parked in `DEAD_LETTERS`. */
export interface DeadLetter {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reason: string;
  readonly error: string;
  readonly deliveries: number;
  /** The durable consumer that gave up on it (each one that does parks its own). */
  readonly consumer: string;
}

/** An accepted tune request. */
export interface Accepted {
  readonly tuningId: string;
  readonly trialCount: number;
}

const ALL: readonly ServiceName[] = ['trainer', 'tracker', 'predictor'];

/**
 * The whole pipeline as real processes for one fault case: a private nats-server (JetStream on disk, fixed port, so
 * it can be killed and restarted), MLflow (shared or private), and trainer, tracker and predictor as `node` processes.
 */
export class FaultStack {
  /** The experiment and registered model of this case (unique per case). */
  readonly modelName = `fault_${randomUUID().slice(0, 8)}`;
  readonly services = new Map<ServiceName, ServiceProcessHandle>();
  client!: NatsConnection;
  mlflow!: MlflowClient;
  mlflowUri = '';
  private nats!: NatsServerHandle;
  private natsPort = 0;
  private storeDir = '';
  private external: FaultStackOptions['nats'];
  private dataDir = '';
  private ownMlflow: MlflowServerHandle | undefined;
  private readonly ports = new Map<ServiceName, number>();
  private serviceEnvOverrides: FaultStackOptions['env'] = {};
  private readonly replicas: ServiceProcessHandle[] = [];

  /** Starts nats-server, MLflow if private, the services, and a reconnecting client for the test. */
  static async start(options: FaultStackOptions = {}): Promise<FaultStack> {
    const stack = new FaultStack();
    await stack.boot(options);
    return stack;
  }

  /** nats://127.0.0.1:<port> of the case's nats-server. */
  get natsUrl(): string {
    return this.external?.urls ?? `nats://127.0.0.1:${this.natsPort}`;
  }

  /** http://127.0.0.1:<port> of the predictor. */
  get predictorUrl(): string {
    return `http://127.0.0.1:${this.ports.get('predictor')}`;
  }

  /** The trainer's data directory (CSV files named by requests are read from here). */
  get trainerDataDir(): string {
    return this.dataDir;
  }

  private async boot(options: FaultStackOptions): Promise<void> {
    this.serviceEnvOverrides = options.env ?? {};
    this.storeDir = await mkdtemp(join(tmpdir(), 'fault-nats-'));
    this.dataDir = await mkdtemp(join(tmpdir(), 'fault-data-'));
    this.external = options.nats;
    if (this.external === undefined) {
      this.natsPort = await findFreePort();
      this.nats = await startNatsServer({ port: this.natsPort, storeDir: this.storeDir });
    }
    if (options.mlflowUri === undefined) {
      this.ownMlflow = await startMlflowServer({ dataDir: await mkdtemp(join(tmpdir(), 'fault-mlflow-')) });
    }
    this.mlflowUri = options.mlflowUri ?? this.ownMlflow!.trackingUri;
    this.mlflow = createMlflowClient({ trackingUri: this.mlflowUri });
    this.client = await connect({ servers: this.natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    for (const name of options.services ?? ALL) await this.startService(name);
  }

  /**
   * Starts (or restarts after a kill or stop) one service process on the same ports and waits until it is ready;
   * `env` applies to this start only (e.g. another `MODEL_NAME` for the predictor).
   */
  async startService(name: ServiceName, env: Readonly<Record<string, string>> = {}): Promise<ServiceProcessHandle> {
    if (!this.ports.has(name)) this.ports.set(name, await findFreePort());
    const port = String(this.ports.get(name));
    const handle = await startServiceProcess(name, {
      env: {
        ...this.commonEnv(),
        ...serviceEnv(name, port, this.modelName, this.dataDir),
        ...this.serviceEnvOverrides?.[name],
        ...env,
      },
      readyUrl: `http://127.0.0.1:${port}/${name === 'predictor' ? 'health' : 'ready'}`,
    });
    this.services.set(name, handle);
    return handle;
  }

  /**
   * Starts another trainer process (`TRAINER_INSTANCE` = `instance`, its own health port) sharing the trial queue and
   * the data directory with the stack's trainer; stopped with the stack.
   */
  async startTrainerReplica(instance: string): Promise<ServiceProcessHandle> {
    const port = String(await findFreePort());
    const handle = await startServiceProcess('trainer', {
      env: {
        ...this.commonEnv(),
        ...serviceEnv('trainer', port, this.modelName, this.dataDir),
        TRAINER_INSTANCE: instance,
      },
      readyUrl: `http://127.0.0.1:${port}/ready`,
    });
    this.replicas.push(handle);
    return handle;
  }

  /** SIGTERM: the service shuts down gracefully (SIGKILL after 5 s). */
  async stopService(name: ServiceName): Promise<void> {
    await this.services.get(name)?.stop(5000);
  }

  /** SIGKILL: the service crashes (nothing flushed, nothing acknowledged). */
  async killService(name: ServiceName): Promise<void> {
    await this.services.get(name)?.kill();
  }

  /** SIGKILL nats-server, then start it again on the same port and JetStream store. */
  async restartNats(downMs = 0): Promise<void> {
    if (this.external !== undefined) throw new Error('the case runs its own NATS servers: restart them there');
    await this.nats.kill();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.nats = await startNatsServer({ port: this.natsPort, storeDir: this.storeDir });
  }

  /** Stops the private MLflow server (SIGTERM); its port and data directory are kept for {@link startMlflow}. */
  async stopMlflow(): Promise<void> {
    await this.ownMlflow?.stop();
  }

  /** Starts the private MLflow server again on the same port with the same database and artifacts. */
  async startMlflow(): Promise<void> {
    const previous = this.ownMlflow!;
    this.ownMlflow = await startMlflowServer({ port: previous.port, dataDir: previous.dataDir });
  }

  /** Sends a tune request (request/reply) for this case's experiment; throws unless it is accepted. */
  async tune(request: Record<string, unknown> = {}): Promise<Accepted> {
    const body = JSON.stringify({ experiment_name: this.modelName, registered_model_name: this.modelName, ...request });
    const reply = await requestReply(this.client, SUBJECTS.tuneRequested, body, { timeoutMs: 15_000 });
    if (reply.status !== 'accepted') throw new Error(`tune request rejected: ${JSON.stringify(reply)}`);
    return { tuningId: reply.tuning_id, trialCount: reply.trial_count };
  }

  /** Messages stored per subject in a stream (de-duplicated publishes are stored once). */
  async storedPerSubject(stream: string): Promise<Record<string, number>> {
    const jsm = await jetstreamManager(this.client);
    return (await jsm.streams.info(stream, { subjects_filter: '>' })).state.subjects ?? {};
  }

  /** Every message stored in a stream, oldest first: its subject and its body as JSON (undefined when it is not). */
  async streamMessages(stream: string): Promise<{ subject: string; body: unknown }[]> {
    const jsm = await jetstreamManager(this.client);
    const { state } = await jsm.streams.info(stream);
    const messages: { subject: string; body: unknown }[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m === null) continue;
      let body: unknown;
      try {
        body = m.json();
      } catch {
        body = undefined;
      }
      messages.push({ subject: m.subject, body });
    }
    return messages;
  }

  /** Every message parked in the dead-letter stream, with the headers saying why. */
  async deadLetters(): Promise<DeadLetter[]> {
    const jsm = await jetstreamManager(this.client);
    const { state } = await jsm.streams.info(DEAD_LETTER_STREAM.name);
    const letters: DeadLetter[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(DEAD_LETTER_STREAM.name, { seq });
      if (m === null) continue;
      const header = (key: string) => m.header.get(key);
      letters.push({
        subject: m.subject,
        data: m.data,
        reason: header('Mlops-Dead-Letter-Reason'),
        error: header('Mlops-Error'),
        deliveries: Number(header('Mlops-Delivery-Count')),
        consumer: header('Mlops-Consumer'),
      });
    }
    return letters;
  }

  /** The tuning id of the last `model.registered` the tracker published (its last step); undefined if none yet. */
  async lastRegisteredTuning(): Promise<string | undefined> {
    try {
      const jsm = await jetstreamManager(this.client);
      const last = await jsm.streams.getMessage(STREAMS.models.name, { last_by_subj: SUBJECTS.modelRegistered });
      const parsed = last === null ? undefined : parseEvent(SUBJECTS.modelRegistered, last.json());
      return parsed?.ok ? parsed.event.data.tuning_id : undefined;
    } catch {
      return undefined; // none yet, a poison message a test published, or nats-server just restarted
    }
  }

  /** A durable consumer's state (pending, ack pending, redelivered). */
  async consumerInfo(stream: string, durable: string): Promise<ConsumerInfo> {
    return await (await jetstreamManager(this.client)).consumers.info(stream, durable);
  }

  /** Publishes raw bytes on a JetStream subject with a fresh message id (never de-duplicated). */
  async publishRaw(subject: string, data: string | Uint8Array): Promise<void> {
    await jetstream(this.client).publish(subject, data, { msgID: `fault-${randomUUID()}` });
  }

  /** The recent output of every service, for failure messages. */
  logs(): string {
    return [...this.services.values(), ...this.replicas]
      .map((s) => `--- ${s.name}\n${s.output().slice(-Number(process.env.FAULT_LOG_TAIL ?? 4000))}`)
      .join('\n');
  }

  /** Stops everything this stack started and removes its directories. */
  async stop(): Promise<void> {
    for (const replica of this.replicas) await replica.stop(5000);
    for (const service of [...this.services.values()].reverse()) await service.stop(5000);
    await this.client?.close().catch(() => undefined);
    await this.nats?.stop();
    await this.ownMlflow?.stop();
    const dirs = [this.storeDir, this.dataDir, this.ownMlflow?.dataDir ?? ''].filter((d) => d !== '');
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }

  private commonEnv(): Record<string, string> {
    return {
      NATS_URL: this.natsUrl,
      NATS_STREAM_REPLICAS: String(this.external?.streamReplicas ?? 1),
      MLFLOW_TRACKING_URI: this.mlflowUri,
      // FAULT_LOG_LEVEL=debug when chasing a fault (the bus logs its consumers' notifications at debug).
      LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'info',
    };
  }
}

/** Worker processes of the stack's predictor. */
export const PREDICTOR_WORKERS = 2;

function serviceEnv(name: ServiceName, port: string, modelName: string, dataDir: string): Record<string, string> {
  switch (name) {
    case 'trainer':
      return { TRAINER_HEALTH_PORT: port, TRAINER_DATA_DIR: dataDir };
    case 'tracker':
      return { TRACKER_HEALTH_PORT: port };
    case 'predictor':
      // Events, not the poll, must bring the new version: the poll is slower than any case. Named as in compose, so
      // its durable consumer of model events is predictor-predictor.
      return {
        PREDICTOR_PORT: port,
        MODEL_NAME: modelName,
        PREDICTOR_MODEL_POLL_MS: '600000',
        PREDICTOR_INSTANCE: 'predictor',
        // Fixed, not the machine's cores: expectServed waits for every one of them.
        PREDICTOR_WORKERS: String(PREDICTOR_WORKERS),
      };
    case 'monitor':
      return { MONITOR_PORT: port };
  }
}
