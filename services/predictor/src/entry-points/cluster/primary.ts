import cluster, { type Worker } from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, Service } from '@mlops/service-kit';
import { AggregatorRegistry } from 'prom-client';
import { aggregateMetrics, type MetricsSnapshot } from '../../adapters/metrics-aggregation.js';
import { randomIdPrefix, workerIdPrefix } from '../request-ids.js';
import { isMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

/** Options of {@link createPrimary}. */
export interface PrimaryOptions {
  readonly workers: number;
  /** The instance name, passed to every worker as PREDICTOR_INSTANCE (so a default taken from the pid is the same). */
  readonly instance: string;
  readonly logger: Logger;
  /** How long stop() lets the workers drain before it kills them. @defaultValue 15000 */
  readonly drainTimeoutMs?: number;
  /** How long a metrics collection waits for the workers' snapshots. @defaultValue 2000 */
  readonly collectTimeoutMs?: number;
}

/** One worker process in its slot (a restarted worker takes the slot of the one that died). */
interface Member {
  readonly slot: number;
  /** Forked by a restart, not by start(): restarted in turn if it dies, even before it served. */
  readonly replacement: boolean;
  readonly worker: Worker;
  readonly forkedAt: number;
  serving: boolean;
  readonly started: Promise<number>;
  readonly exited: Promise<void>;
}

/** A worker that lived less than this before exiting counts as failing quickly (its restart waits longer). */
const QUICK_EXIT_MS = 10_000;
/** Past this many, the counters of workers gone longer than RETIRED_SETTLE_MS are merged into one snapshot. */
const RETIRED_MERGE_AT = 32;
const RETIRED_SETTLE_MS = 10_000;

/**
 * The primary of a multi-process predictor (PREDICTOR_WORKERS > 1): forks the workers, which share the HTTP port
 * (the kernel hands each connection to one of them), gives each its slot and prediction id prefix, restarts a worker
 * that dies (0.25 s, doubling to 10 s while it keeps dying young), sums the workers' metrics for whichever worker
 * answers GET /metrics (a dead worker counts with the snapshot it last sent: at most a second old), and on stop()
 * tells every worker to drain and waits for them. It never connects to NATS or MLflow.
 */
export function createPrimary(options: PrimaryOptions): Service {
  const log = options.logger.child({ module: 'primary' });
  const runPrefix = randomIdPrefix();
  const members = new Map<number, Member>();
  const quickExits = new Map<number, number>();
  const restarts = new Set<NodeJS.Timeout>();
  const collections = new Map<number, (workerId: number, snapshot: MetricsSnapshot) => void>();
  const counters = retiredCounters();
  let nextCollection = 0;
  let running = false;
  let stopping: Promise<void> | undefined;
  /** Workers that exited with an error once the stop began: the stop then fails (the process exits 1). */
  let failedDrains = 0;

  const send = (worker: Worker, message: PrimaryMessage) => {
    if (!worker.isConnected()) return;
    worker.send(message, undefined, (err) => {
      if (err) log.debug({ err, pid: worker.process.pid }, 'could not reach a worker');
    });
  };

  /**
   * Asks every serving worker for its metrics and answers `requester` with their sum. Counters never go down: a
   * worker that does not answer in time counts with its last snapshot, and one that died with the counters it last
   * reported (Prometheus would read a smaller sum as a reset and count everything again).
   */
  const collect = (requester: Worker, id: number) => {
    const targets = [...members.values()].filter((m) => m.serving && m.worker.isConnected());
    const key = ++nextCollection;
    const answered = new Map<number, MetricsSnapshot>();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      collections.delete(key);
      // Every worker heard from before and not now (late, or its channel already gone before its exit was seen).
      const late = counters.lastExcept(new Set(answered.keys()));
      const gone = counters.retiredExcept(new Set(answered.keys()));
      aggregateMetrics([...answered.values(), ...late, ...gone]).then(
        (text) => send(requester, { type: 'predictor:metrics-reply', id, text }),
        (err: unknown) => send(requester, { type: 'predictor:metrics-reply', id, error: String(err) }),
      );
    };
    const timer = setTimeout(finish, options.collectTimeoutMs ?? 2000);
    collections.set(key, (workerId, snapshot) => {
      answered.set(workerId, snapshot);
      if (answered.size === targets.length) finish();
    });
    for (const target of targets) send(target.worker, { type: 'predictor:metrics-collect', id: key });
  };

  const fork = (slot: number, replacement = false): Member => {
    const worker = cluster.fork({ PREDICTOR_INSTANCE: options.instance });
    let onStarted: (port: number) => void = () => undefined;
    let onFailed: (err: Error) => void = () => undefined;
    const started = new Promise<number>((resolve, reject) => {
      onStarted = resolve;
      onFailed = reject;
    });
    started.catch(() => undefined);
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const member: Member = { slot, replacement, worker, forkedAt: Date.now(), serving: false, started, exited };
    members.set(worker.id, member);
    worker.on('error', (err) => log.debug({ err, slot }, 'worker channel error'));
    worker.on('message', (message: unknown) => {
      if (!isMessage<WorkerMessage>(message)) return;
      if (message.type === 'predictor:hello') {
        // A worker forked as the stop began missed the shutdown sent to the others (it had no listener yet).
        if (stopping !== undefined) return send(worker, { type: 'predictor:shutdown' });
        // Only a replacement waits for a model: during start() a worker's peers have no champion to wait for yet.
        const peersServing = replacement && [...members.values()].some((m) => m !== member && m.serving);
        const requestIdPrefix = workerIdPrefix(runPrefix, worker.id);
        send(worker, { type: 'predictor:identity', slot, requestIdPrefix, peersServing });
      } else if (message.type === 'predictor:started') {
        member.serving = true;
        onStarted(message.port);
      } else if (message.type === 'predictor:metrics-request') {
        collect(worker, message.id);
      } else if (message.type === 'predictor:metrics-push') {
        counters.remember(worker.id, message.snapshot);
      } else {
        counters.remember(worker.id, message.snapshot);
        collections.get(message.id)?.(worker.id, message.snapshot);
      }
    });
    worker.once('exit', (code, signal) => {
      members.delete(worker.id);
      counters.retire(worker.id);
      onFailed(new Error(`predictor worker ${slot} exited (code ${code}, signal ${signal}) before it started`));
      if (stopping !== undefined) {
        if (code !== 0) {
          failedDrains += 1;
          log.warn({ slot, code, signal }, 'worker ended its drain with an error');
        }
        return;
      }
      // A worker that served, or a replacement, restarts even while the primary still waits for the others to start.
      if (running || member.serving || member.replacement) restart(member, code, signal);
    });
    return member;
  };

  const restart = (member: Member, code: number | null, signal: string | null) => {
    const quick = Date.now() - member.forkedAt < QUICK_EXIT_MS ? (quickExits.get(member.slot) ?? 0) + 1 : 0;
    quickExits.set(member.slot, quick);
    const delayMs = Math.min(10_000, 250 * 2 ** quick);
    log.warn({ slot: member.slot, pid: member.worker.process.pid, code, signal, delayMs }, 'worker exited: restarting');
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (stopping !== undefined) return;
      const next = fork(member.slot, true);
      next.started.then(
        () => log.info({ slot: next.slot, pid: next.worker.process.pid }, 'worker serving again'),
        () => undefined,
      );
    }, delayMs);
    restarts.add(timer);
  };

  const drain = async () => {
    for (const timer of restarts) clearTimeout(timer);
    const live = [...members.values()];
    for (const member of live) send(member.worker, { type: 'predictor:shutdown' });
    const drained = Promise.all(live.map((m) => m.exited)).then(() => true);
    if (!(await Promise.race([drained, sleep(options.drainTimeoutMs ?? 15_000).then(() => false)]))) {
      const left = [...members.values()];
      for (const member of left) member.worker.process.kill('SIGKILL');
      await Promise.all(left.map((m) => m.exited));
      throw new Error(`${left.length} predictor worker(s) did not drain in time and were killed`);
    }
    if (failedDrains > 0) throw new Error(`${failedDrains} predictor worker(s) ended with an error during the stop`);
    log.info({ workers: live.length }, 'every worker drained');
  };

  return {
    async start() {
      // The kernel, not the primary, hands connections to the workers (they share the listening socket): with the
      // default round robin, a connection the primary is handing to a worker that dies is never answered nor closed
      // (nodejs/node#21746); this way a dying worker's connections are reset and the others keep accepting.
      cluster.schedulingPolicy = cluster.SCHED_NONE;
      const first = Array.from({ length: options.workers }, (_, i) => fork(i + 1));
      const ports = await Promise.all(first.map((m) => m.started)).catch((err: unknown) => {
        if (stopping !== undefined) return undefined; // stopped before every worker started: the stop says how it went
        throw err;
      });
      if (ports === undefined) return;
      running = true;
      log.info({ workers: options.workers, port: ports[0], pid: process.pid }, 'predictor started');
    },
    async stop() {
      stopping ??= drain();
      await stopping;
    },
  };
}

/**
 * The workers' last reported metrics, and the counters and histograms of workers gone (their gauges end with them),
 * merged into one snapshot once there are many, so a crash loop does not grow the primary without bound.
 */
function retiredCounters() {
  const last = new Map<number, MetricsSnapshot>();
  let retired: { id: number; at: number; snapshot: MetricsSnapshot }[] = [];
  let merging = false;
  const merge = () => {
    const old = retired.filter((r) => Date.now() - r.at > RETIRED_SETTLE_MS);
    if (merging || old.length < 2) return;
    merging = true;
    AggregatorRegistry.aggregate(old.map((r) => r.snapshot))
      .getMetricsAsJSON()
      .then(
        (snapshot) => {
          const merged = new Set(old);
          retired = [{ id: -1, at: 0, snapshot }, ...retired.filter((r) => !merged.has(r))];
        },
        () => undefined,
      )
      .finally(() => {
        merging = false;
      });
  };
  return {
    remember(workerId: number, snapshot: MetricsSnapshot) {
      last.set(workerId, snapshot);
    },
    lastExcept: (answered: ReadonlySet<number>) =>
      [...last].filter(([workerId]) => !answered.has(workerId)).map(([, snapshot]) => snapshot),
    retire(workerId: number) {
      const snapshot = last.get(workerId);
      last.delete(workerId);
      if (snapshot === undefined) return;
      // prom-client types `type` as a numeric enum; at run time it is the name.
      const kept = snapshot.filter((metric) => ['counter', 'histogram'].includes(metric.type as unknown as string));
      retired.push({ id: workerId, at: Date.now(), snapshot: kept as MetricsSnapshot });
      if (retired.length > RETIRED_MERGE_AT) merge();
    },
    /** The retired snapshots, but those of workers that answered this collection before they died. */
    retiredExcept: (answered: ReadonlySet<number>) => retired.filter((r) => !answered.has(r.id)).map((r) => r.snapshot),
  };
}
