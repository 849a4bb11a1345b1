import { createHash } from 'node:crypto';
import {
  type EventData,
  type EventSubject,
  makeEvent,
  parseEvent,
  parseTuneRequest,
  plannedTrialCount,
  SUBJECTS,
  type TuneRequest,
  type TuneRequestInput,
} from '@mlops/contracts';
import type { CsvLoader } from '../../src/domain/dataset.js';
import { runTuning, type TuningOutcome } from '../../src/domain/tuning.js';

/** One event the tuning published, as its envelope. */
export interface PublishedEvent {
  readonly subject: EventSubject;
  readonly event: { id: string; data: Record<string, unknown> };
}

/** Parses a tune request as the intake does; throws with the problems when it is refused. */
export function requestOf(input: TuneRequestInput): TuneRequest {
  const parsed = parseTuneRequest(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.request;
}

/** The work message the intake stores for a raw tune request (what a publisher skipping the intake would store). */
export function queuedWork(tuningId: string, input: Readonly<Record<string, unknown>>): EventData<'tuning.requested'> {
  const parsed = parseTuneRequest({ ...input, tuning_id: tuningId });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return {
    tuning_id: tuningId,
    trial_count: plannedTrialCount(parsed.request),
    requested_at: new Date().toISOString(),
    request: parsed.request,
  };
}

/** A CSV loader that serves `csv` for any path (hashed as the file adapter does), or throws when there is none. */
export function loadCsvOf(csv: string | undefined): CsvLoader {
  return async (path) => {
    if (csv === undefined) throw new Error('no CSV in this test');
    return { text: csv, source: `file:///data/${path}`, sha256: createHash('sha256').update(csv).digest('hex') };
  };
}

/** Runs a whole tuning in process; every event it publishes is checked against the event map and kept in order. */
export async function tune(
  input: TuneRequestInput,
  tuningId = 'tun-test',
  csv?: string,
): Promise<{ events: PublishedEvent[]; outcome: TuningOutcome; stored: Map<string, Uint8Array> }> {
  const events: PublishedEvent[] = [];
  const stored = new Map<string, Uint8Array>();
  const request = requestOf(input);
  const outcome = await runTuning(
    { tuning_id: tuningId, trial_count: 0, requested_at: new Date().toISOString(), request },
    {
      publish: async (subject, data, key) => {
        const event = makeEvent(subject, { key, source: 'mlops/trainer-test', data });
        const checked = parseEvent(subject, event);
        if (!checked.ok) throw new Error(checked.reason); // every event the domain builds fits the map
        events.push({ subject, event: event as PublishedEvent['event'] });
      },
      storeHoldout: async (name, json) => {
        stored.set(name, json);
      },
      holdoutNotStored: (err) => {
        throw err;
      },
      loadCsv: loadCsvOf(csv),
      heartbeat: () => {},
    },
  );
  return { events, outcome, stored };
}

/** The data of every run.completed, in order. */
export function completedOf(events: readonly PublishedEvent[]): EventData<'run.completed'>[] {
  return events
    .filter((e) => e.subject === SUBJECTS.runCompleted)
    .map((e) => e.event.data as EventData<'run.completed'>);
}

/** The data of every run.failed, in order. */
export function failedOf(events: readonly PublishedEvent[]): EventData<'run.failed'>[] {
  return events.filter((e) => e.subject === SUBJECTS.runFailed).map((e) => e.event.data as EventData<'run.failed'>);
}
