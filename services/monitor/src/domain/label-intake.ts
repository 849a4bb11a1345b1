import { type EventData, type FeedbackItem, type FeedbackReply, MAX_LISTED_FEEDBACK_ERRORS } from '@mlops/contracts';
import { type ClassOfLabel, classOfLabel, type VersionClasses } from './class-labels.js';
import type { LabelJoin } from './label-join.js';
import { type Patience, waitPatiently } from './patient-wait.js';
import type { MonitorAnnouncer, MonitorMetrics } from './ports.js';
import { versionKey } from './prediction-batch.js';

/**
 * A label that overtook its prediction waits 2 s and 20 polls for it (see waitPatiently), never past 4 s: the
 * predictor's POST /feedback stops waiting for the answer at 5 s (PREDICTOR_FEEDBACK_TIMEOUT_MS).
 */
const LABEL_WAIT: Patience = { ms: 2000, polls: 20, everyMs: 100, atMostMs: 4000 };
const LABEL_PUBLISHES_AT_ONCE = 64;
const DUPLICATE_IN_BATCH = {
  ok: false,
  refusal: 'duplicate',
  message: 'the same prediction id comes twice in this batch (the first label wins)',
} as const;

/** A version's classes, or why they could not be read. */
export type ClassesLookup = VersionClasses | { readonly failure: string };

/** What taking labels in needs from the monitor. */
export interface LabelIntakeDeps {
  readonly join: LabelJoin;
  /** The classes of a version (read once per batch and version). */
  readonly classesOf: (model: string, version: string) => Promise<ClassesLookup>;
  readonly announce: Pick<MonitorAnnouncer, 'labelRecorded'>;
  readonly metrics: Pick<MonitorMetrics, 'labels'>;
  readonly now: () => number;
}

/** The answer for the client, and the versions whose joined labels changed (to judge their performance). */
export interface LabelIntake {
  readonly reply: FeedbackReply;
  readonly touched: ReadonlySet<string>;
}

/**
 * A label may overtake its prediction on the way in: gives the consumer a moment before an id is called unknown. A
 * label for another client's prediction waits as long as one for an unknown id (its answer is the same, so must be
 * its time).
 */
export async function waitForPredictions(
  items: readonly FeedbackItem[],
  join: LabelJoin,
  now: () => number,
): Promise<void> {
  if (items.every((item) => join.check(item.prediction_id, item.model, item.client).ok)) return;
  const unknown = () =>
    items.some((i) => {
      const o = join.check(i.prediction_id, i.model, i.client);
      return !o.ok && (o.refusal === 'unknown' || o.refusal === 'other_client');
    });
  await waitPatiently(unknown, LABEL_WAIT, now);
}

/**
 * Labels from a client: each mapped to its class, joined to its prediction and stored as `label.recorded`, or
 * refused with why (a repeat is counted, not refused; one with another label than the first also as conflicting). A label naming a `client` joins only that client's
 * predictions (and those scored without one): another client's is answered as an unknown id and counted as
 * `other_client`. Only labels that were stored are applied to the join.
 */
export async function recordLabels(items: readonly FeedbackItem[], deps: LabelIntakeDeps): Promise<LabelIntake> {
  const { join, metrics } = deps;
  const errors: FeedbackReply['errors'] = [];
  let duplicates = 0;
  let conflicting = 0;
  let refused = 0;
  const refuse = (error: FeedbackReply['errors'][number]) => {
    refused++;
    if (errors.length < MAX_LISTED_FEEDBACK_ERRORS) errors.push(error);
  };
  const receivedAt = deps.now();
  const joined = new Map<string, EventData<'label.recorded'>>();
  const classOf = classMapper(deps.classesOf);
  for (const [index, item] of items.entries()) {
    const outcome = join.check(item.prediction_id, item.model, item.client);
    // The label is checked before the repeat: a label that names no class is refused as such, never a duplicate.
    const owner = outcome.ok
      ? outcome
      : outcome.refusal === 'duplicate'
        ? join.versionOf(item.prediction_id)
        : undefined;
    const label = owner && (await classOf(item.label, owner.model, owner.version));
    if (label !== undefined && 'error' in label) {
      refuse({ path: items.length === 1 ? 'label' : `${index}.label`, message: label.error });
      continue;
    }
    if (outcome.ok && label !== undefined && !joined.has(item.prediction_id)) {
      joined.set(item.prediction_id, {
        prediction_id: item.prediction_id,
        model: outcome.model,
        version: outcome.version,
        label: label.index,
        predicted_at: new Date(outcome.predictedAtMs).toISOString(),
        received_at: new Date(receivedAt).toISOString(),
      });
      continue;
    }
    const refusal = outcome.ok ? DUPLICATE_IN_BATCH : outcome;
    join.countRefusal(refusal);
    // A row its request does not have is an unknown prediction id, as the status counts it. Another client's
    // prediction is counted as unknown here too: /metrics may be read by more than operators, and a counter of its
    // own would tell a client which guessed ids exist; only the status (over NATS) counts it apart.
    const counted = refusal.refusal === 'bad_row' || refusal.refusal === 'other_client' ? 'unknown' : refusal.refusal;
    metrics.labels('', counted, 1);
    if (refusal.refusal === 'duplicate') {
      duplicates++;
      const first = joined.get(item.prediction_id)?.label ?? join.labelOf(item.prediction_id);
      if (label !== undefined && first !== undefined && label.index !== first) conflicting++;
    } else refuse({ path: items.length === 1 ? 'prediction_id' : `${index}.prediction_id`, message: refusal.message });
  }
  const touched = await storeLabels([...joined.values()], receivedAt, deps);
  const accepted = joined.size;
  // Partial only when some label was stored: refusals beside mere repeats store nothing (422/404, not 207).
  const status = refused === 0 ? 'accepted' : accepted > 0 ? 'partial' : 'rejected';
  return { reply: { status, accepted, duplicates, conflicting, refused, errors }, touched };
}

/** Stores the joined labels (LABEL_PUBLISHES_AT_ONCE in flight), then applies and counts them; returns their versions. */
async function storeLabels(
  labels: readonly EventData<'label.recorded'>[],
  receivedAt: number,
  deps: LabelIntakeDeps,
): Promise<Set<string>> {
  for (let start = 0; start < labels.length; start += LABEL_PUBLISHES_AT_ONCE) {
    const chunk = labels.slice(start, start + LABEL_PUBLISHES_AT_ONCE);
    await Promise.all(chunk.map((label) => deps.announce.labelRecorded(label)));
  }
  const touched = new Set<string>();
  for (const label of labels) {
    deps.join.applyLabel(label.prediction_id, label.label, receivedAt);
    const key = versionKey(label.model, label.version);
    deps.metrics.labels(key, 'joined', 1);
    touched.add(key);
  }
  return touched;
}

/**
 * Maps labels to class indexes by their version's classes, each version's read once: the class's own value (number
 * or text) or its index (see classOfLabel). When the classes cannot be read now, a label other than 0 or 1 is refused
 * as one to send again.
 */
function classMapper(classesOf: LabelIntakeDeps['classesOf']) {
  const lookups = new Map<string, Promise<ClassesLookup>>();
  return async (label: FeedbackItem['label'], model: string, version: string): Promise<ClassOfLabel> => {
    const key = versionKey(model, version);
    let lookup = lookups.get(key);
    if (lookup === undefined) {
      lookup = classesOf(model, version);
      lookups.set(key, lookup);
    }
    const found = await lookup;
    // A class index needs no lookup: MLflow being down (or a version's files unreadable) must not refuse 0 and 1.
    if ('failure' in found && (label === 0 || label === 1)) return { index: label };
    if ('failure' in found) {
      return {
        error: `${JSON.stringify(label)} cannot be mapped now: the classes of ${model} version ${version} could not be read (${found.failure}); send it again`,
      };
    }
    return classOfLabel(label, found, `${model} version ${version}`);
  };
}
