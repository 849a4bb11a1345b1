import {
  type EventSubject,
  makeEvent,
  parseEvent,
  parseTuneRequest,
  SUBJECTS,
  type TuneRequestInput,
} from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { runTuning, trialId } from '../src/domain/tuning.js';

function requestOf(input: TuneRequestInput) {
  const parsed = parseTuneRequest(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.request;
}

async function tune(input: TuneRequestInput, tuningId = 'tun-test') {
  const events: { subject: EventSubject; event: { id: string; data: Record<string, unknown> } }[] = [];
  const request = requestOf(input);
  const outcome = await runTuning(
    { tuning_id: tuningId, trial_count: 0, requested_at: new Date().toISOString(), request },
    {
      publish: async (subject, data, key) => {
        const event = makeEvent(subject, { key, source: 'mlops/trainer-test', data });
        const checked = parseEvent(subject, event);
        if (!checked.ok) throw new Error(checked.reason); // every event the domain builds fits the map
        events.push({ subject, event: event as { id: string; data: Record<string, unknown> } });
      },
      loadCsv: async () => {
        throw new Error('no CSV in this test');
      },
      heartbeat: () => {},
    },
  );
  return { events, outcome };
}

describe('runTuning', () => {
  it('when the seed request runs, then it publishes 15 trials in order and reproduces the accuracy table', async () => {
    const { events, outcome } = await tune({});
    expect(outcome).toEqual({ tuningId: 'tun-test', completed: 15, failed: 0 });
    const subjects = events.map((e) => e.subject);
    expect(subjects[0]).toBe(SUBJECTS.tuningStarted);
    expect(subjects.at(-1)).toBe(SUBJECTS.tuningCompleted);
    expect(subjects.filter((s) => s === SUBJECTS.runStarted)).toHaveLength(15);
    const completed = events.filter((e) => e.subject === SUBJECTS.runCompleted).map((e) => e.event.data);
    const accuracy = completed.map(
      (d) => `${(d.params as { C: number }).C}:${(d.metrics as { accuracy: number }).accuracy}`,
    );
    expect(new Set(accuracy)).toEqual(new Set(['0.01:0.865', '0.1:0.865', '1:0.855', '10:0.855', '100:0.855']));
    expect(events[0]!.event.data).toMatchObject({ trial_count: 15, dataset: { n_train: 800, n_test: 200 } });
  });

  it('when the same request runs twice, then event ids are identical (so JetStream de-duplicates a redelivery)', async () => {
    const first = await tune({ grid: { C: [1], solver: ['liblinear'] } });
    const second = await tune({ grid: { C: [1], solver: ['liblinear'] } });
    expect(second.events.map((e) => e.event.id)).toEqual(first.events.map((e) => e.event.id));
    expect(first.events.map((e) => e.event.id)).toContain(`run.completed:${trialId('tun-test', 0)}`);
  });

  it('when a trial cannot be fitted, then run.failed carries the reason and the tuning goes on', async () => {
    const { events, outcome } = await tune({
      dataset: { kind: 'synthetic', n_samples: 60, flip_y: 0, weights: [1.0] },
      grid: { C: [1], solver: ['lbfgs'] },
    });
    expect(outcome.failed).toBe(1);
    const failed = events.find((e) => e.subject === SUBJECTS.runFailed);
    expect(failed?.event.data.reason).toMatch(/only one class/);
    expect(events.at(-1)?.event.data).toMatchObject({ completed: 0, failed: 1 });
  });
});
