import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { type Bus, requestReply } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import type {
  DatasetStore,
  HeldRetrain,
  LoggedFeatureSource,
  LoggedRequestFeatures,
  RetrainLeases,
  RetrainLeaseValue,
  TuneRequester,
} from '../domain/ports.js';
import { firstRowOf, isPart, type LoggedRequestRows, requestRowsOf } from '../domain/prediction-batch.js';
import { decodePrediction } from './prediction-wire.js';

/** The JetStream key-value bucket holding one retrain lease per model. */
export const RETRAIN_LEASE_BUCKET = 'monitor-retrains';

/**
 * Prediction times come from the predictor's clock, store times from nats-server's: the log is read from this much
 * earlier than the first wanted prediction (the request ids pick the rows), so a clock ahead loses none.
 */
const CLOCK_MARGIN_MS = 5 * 60_000;

/** How long the trainer's intake has to answer a tune request. */
const TUNE_REPLY_MS = 30_000;

/** Retrain leases in a JetStream key-value bucket whose entries live `ttlMs`. */
export async function kvRetrainLeases(bus: Bus, ttlMs: number): Promise<RetrainLeases> {
  const lease = await bus.leases(RETRAIN_LEASE_BUCKET, { ttlMs });
  const held = (entry: { name: string; value: unknown; revision: number }): HeldRetrain => ({
    model: entry.name,
    value: entry.value as RetrainLeaseValue,
    revision: entry.revision,
  });
  const entry = (h: HeldRetrain) => ({ name: h.model, value: h.value, revision: h.revision, takenAt: new Date() });
  return {
    acquire: async (model, value) => {
      const taken = await lease.acquire(model, value);
      return taken === undefined ? undefined : held(taken);
    },
    holder: async (model) => {
      const found = await lease.holder(model);
      return found === undefined ? undefined : held(found);
    },
    update: async (h, value) => {
      const updated = await lease.update(entry(h), value);
      return updated === undefined ? undefined : held(updated);
    },
    release: (h) => lease.release(entry(h)),
    all: async () => (await lease.held()).map(held),
  };
}

/**
 * Reads logged features back from the PREDICTIONS stream, from a time on (an ordered consumer, no acks). A request
 * logged in parts is gathered from all of them, and given only when every part was found.
 */
export function streamFeatureSource(bus: Bus): LoggedFeatureSource {
  return {
    async read(model, version, sinceMs, wanted) {
      const found = new Map<string, LoggedRequestFeatures>();
      const gathering = new Map<string, Gathering>();
      await bus.replayEvents(
        SUBJECTS.predictionLogged,
        (event, sequence) => {
          if (event.data.model !== model || event.data.version !== version) return;
          if (!event.data.requests.some((r) => wanted.has(r.request_id))) return;
          const batch = decodePrediction(event, sequence);
          let offset = 0;
          for (const request of batch.requests) {
            const start = offset * batch.columns;
            offset += request.rows;
            if (!wanted.has(request.requestId)) continue;
            const features = batch.features.subarray(start, offset * batch.columns);
            const logged = { features, columns: batch.columns, rawColumns: batch.rawColumns };
            if (!isPart(request)) found.set(request.requestId, { ...logged, features: features.slice() });
            else gather(gathering, found, request, logged);
          }
        },
        { since: new Date(Number.isFinite(sinceMs) ? sinceMs - CLOCK_MARGIN_MS : 0) },
      );
      return found;
    },
  };
}

/** A request logged in parts, being read back: its rows so far, and the first rows of the parts found. */
interface Gathering extends LoggedRequestFeatures {
  readonly firstRows: Set<number>;
  rows: number;
}

/** Adds a part's rows to its request; the request is `found` once all its rows are. A part read again adds nothing. */
function gather(
  gathering: Map<string, Gathering>,
  found: Map<string, LoggedRequestFeatures>,
  part: LoggedRequestRows,
  logged: LoggedRequestFeatures,
): void {
  const requestRows = requestRowsOf(part);
  const firstRow = firstRowOf(part);
  let request = gathering.get(part.requestId);
  if (request === undefined) {
    const features = new Float64Array(requestRows * logged.columns);
    request = { features, columns: logged.columns, rawColumns: logged.rawColumns, firstRows: new Set(), rows: 0 };
    gathering.set(part.requestId, request);
  }
  const fits = request.columns === logged.columns && request.rawColumns === logged.rawColumns;
  if (!fits || request.firstRows.has(firstRow) || request.features.length < (firstRow + part.rows) * logged.columns) {
    return;
  }
  request.features.set(logged.features, firstRow * logged.columns);
  request.firstRows.add(firstRow);
  request.rows += part.rows;
  if (request.rows === requestRows) {
    found.set(part.requestId, { features: request.features, columns: request.columns, rawColumns: request.rawColumns });
  }
}

/** Writes data sets inside the trainer's data directory: a temporary file renamed into place, never half a file. */
export function dataDirectoryStore(dataDir: string): DatasetStore {
  return {
    async write(path, text) {
      const full = resolve(dataDir, path);
      const inside = relative(dataDir, full);
      if (inside.startsWith('..') || isAbsolute(inside)) throw new Error(`${path} is outside ${dataDir}`);
      const existing = await readFile(full, 'utf8').catch(() => undefined);
      if (existing === text) return;
      await mkdir(dirname(full), { recursive: true });
      const temporary = `${full}.${randomUUID()}.tmp`;
      await writeFile(temporary, text, 'utf8');
      await rename(temporary, full);
    },
  };
}

/** Sends tune requests to the trainer's intake (core request/reply on `tune.requested`). */
export function natsTuneRequester(bus: Bus): TuneRequester {
  return {
    request: (body) => requestReply(bus.connection, SUBJECTS.tuneRequested, body, { timeoutMs: TUNE_REPLY_MS }),
  };
}
