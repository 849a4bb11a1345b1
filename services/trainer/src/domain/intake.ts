import { createHash, randomUUID } from 'node:crypto';
import {
  type EventData,
  parseTuneRequest,
  plannedTrialCount,
  type TuneReply,
  type TuneRequest,
  type ValidationProblem,
} from '@mlops/contracts';
import type { TrainerBus } from './ports.js';

/** The intake's verdict on one raw tune request. */
export type IntakeDecision =
  | { readonly accepted: true; readonly tuningId: string; readonly request: TuneRequest; readonly trialCount: number }
  | { readonly accepted: false; readonly tuningId: string | null; readonly errors: ValidationProblem[] };

/** Checks what JSON schemas cannot: that a named CSV exists inside the data directory. */
export type DatasetCheck = (request: TuneRequest) => Promise<ValidationProblem[]>;

/** Decodes and validates a raw `tune.requested` body; an empty body is the empty request. */
export async function decideTuneRequest(body: Uint8Array, checkDataset: DatasetCheck): Promise<IntakeDecision> {
  const text = new TextDecoder().decode(body).trim();
  let raw: unknown = {};
  if (text !== '') {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return {
        accepted: false,
        tuningId: null,
        errors: [{ path: '(body)', message: `not valid JSON: ${(err as Error).message}` }],
      };
    }
  }
  const claimedId = claimedTuningId(raw);
  const parsed = parseTuneRequest(raw);
  if (!parsed.ok) return { accepted: false, tuningId: claimedId, errors: limitProblems(parsed.errors) };
  const datasetProblems = await checkDataset(parsed.request);
  if (datasetProblems.length > 0) return { accepted: false, tuningId: claimedId, errors: datasetProblems };
  return {
    accepted: true,
    tuningId: parsed.request.tuning_id ?? newTuningId(),
    request: parsed.request,
    trialCount: plannedTrialCount(parsed.request),
  };
}

/** What the claim of a request's tuning id decided, and whether the request is to be stored. */
export interface TuningIdClaim {
  readonly decision: IntakeDecision;
  readonly store: boolean;
  /**
   * Set when the request is stored again because the worker gave up on its stored copy: that copy's stream sequence,
   * which keys the new copy (so two repeats at the same moment store one).
   */
  readonly againAfter?: number;
}

/**
 * A request naming its own tuning id may come again (a retry, the monitor resending a retrain): accepted again, and
 * stored again only when it was never stored (marked, then lost before JetStream had it) and its tuning never ran,
 * whenever it comes while its marks last (7 days), not only inside JetStream's duplicate window. Any other request
 * under an id already used is refused: the tally would count the earlier trials and close the new tuning early, and
 * the tracker would mix both under one parent run. The request is marked before it is stored, so a crash in between
 * leaves a repeat that is still accepted.
 */
export async function claimTuningId(
  bus: Pick<TrainerBus, 'tallies'>,
  decision: IntakeDecision,
  nowMs: number,
  asSent?: TuneRequest,
): Promise<TuningIdClaim> {
  if (!decision.accepted || decision.request.tuning_id === undefined) return { decision, store: true };
  const id = decision.tuningId;
  const prints = printsOf(decision.request, asSent);
  const earlier = [...(await bus.tallies.requests(id))];
  if (prints.some((p) => earlier.includes(lostMark(p)))) return { decision: taken(id, ANOTHER_ACCEPTED), store: true };
  if (earlier.some((mark) => prints.some((p) => mark.startsWith(`${p}-`))))
    return repeatClaim(bus, decision, earlier, prints);
  if (earlier.length > 0) return { decision: taken(id, ANOTHER_ACCEPTED), store: true };
  const recorded = await bus.tallies.recorded(id);
  if (recorded > 0)
    return { decision: taken(id, `a tuning with this id has ${recorded} trials recorded`), store: true };
  await bus.tallies.markRequest(id, `${requestPrint(decision.request)}-${Math.floor(nowMs / 60_000)}`);
  return { decision, store: true };
}

/**
 * A request accepted before under its id: accepted without being stored again once it was stored (or its tuning ran,
 * as marked before stored requests were), refused when another request under the id was stored, else stored. A
 * stored copy the worker gave up on (dead-lettered) before any trial was recorded is stored again.
 */
async function repeatClaim(
  bus: Pick<TrainerBus, 'tallies'>,
  decision: IntakeDecision & { accepted: true },
  earlier: readonly string[],
  prints: readonly string[],
): Promise<TuningIdClaim> {
  const stored = earlier.filter((mark) => mark.startsWith(STORED));
  if (prints.some((p) => stored.includes(storedMark(p)))) return await againIfGivenUp(bus, decision, earlier);
  if (stored.length > 0) return { decision: taken(decision.tuningId, ANOTHER_ACCEPTED), store: true };
  const ran = earlier.includes(WORK_DONE) || (await bus.tallies.recorded(decision.tuningId)) > 0;
  return { decision, store: !ran };
}

/**
 * A stored request sent again: stored again only when the worker gave up on its latest stored copy (by stream
 * sequence) and no trial of it was recorded; otherwise it is running, waiting or done, and is not stored again.
 */
async function againIfGivenUp(
  bus: Pick<TrainerBus, 'tallies'>,
  decision: IntakeDecision & { accepted: true },
  earlier: readonly string[],
): Promise<TuningIdClaim> {
  const latest = Math.max(
    0,
    ...earlier.filter((mark) => mark.startsWith(AT)).map((mark) => Number(mark.slice(AT.length))),
  );
  if (latest === 0 || !earlier.includes(`${GAVE_UP}${latest}`) || earlier.includes(WORK_DONE))
    return { decision, store: false };
  if ((await bus.tallies.recorded(decision.tuningId)) > 0) return { decision, store: false };
  return { decision, store: true, againAfter: latest };
}

/**
 * Marks a stored copy of the tuning's request (by its stream sequence) given up by the worker, on its last delivery:
 * the request sent again is stored again, if that copy is the latest.
 */
export async function markGaveUp(bus: Pick<TrainerBus, 'tallies'>, tuningId: string, streamSequence: number) {
  await bus.tallies.markRequest(tuningId, `${GAVE_UP}${streamSequence}`);
}

/**
 * Marks an accepted request as stored on the work queue (at `streamSequence`, when known): sent again under its id,
 * it is not stored again, unless the worker gave up on that copy.
 */
export async function markStored(
  bus: Pick<TrainerBus, 'tallies'>,
  decision: IntakeDecision & { accepted: true },
  streamSequence?: number,
) {
  await bus.tallies.markRequest(decision.tuningId, storedMark(requestPrint(decision.request)));
  if (streamSequence !== undefined && streamSequence > 0)
    await bus.tallies.markRequest(decision.tuningId, `${AT}${streamSequence}`);
}

/** Whether the worker finished with the tuning `tuningId` (queued or ran its trials, or refused its data). */
export async function workDone(bus: Pick<TrainerBus, 'tallies'>, tuningId: string): Promise<boolean> {
  return (await bus.tallies.requests(tuningId)).has(WORK_DONE);
}

/** Marks the worker finished with the tuning `tuningId`: its request delivered again (or a copy) is not run again. */
export async function markWorkDone(bus: Pick<TrainerBus, 'tallies'>, tuningId: string): Promise<void> {
  await bus.tallies.markRequest(tuningId, WORK_DONE);
}

/**
 * A request JetStream found already stored under its tuning id (its de-duplication decides which of two requests
 * claiming one id at the same moment runs): accepted when the stored one is this very request (a repeat, a copy, a
 * publish retried after a lost ack), and marked stored, else refused and marked so that it stays refused. `holder`
 * is the stored request, undefined when it cannot be read back: then nobody can say yet, and the caller answers
 * "retry later".
 */
export async function settleStoredClaim(
  bus: Pick<TrainerBus, 'tallies'>,
  decision: IntakeDecision & { accepted: true },
  stored: { readonly holder: TuneRequest | undefined; readonly seq: number },
  asSent?: TuneRequest,
): Promise<IntakeDecision> {
  const { holder } = stored;
  if (holder === undefined) throw new Error(`the request stored under tuning id ${decision.tuningId} cannot be read`);
  const print = requestPrint(decision.request);
  const held = requestPrint(holder);
  if (printsOf(decision.request, asSent).includes(held)) {
    await bus.tallies.markRequest(decision.tuningId, storedMark(held));
    if (stored.seq > 0) await bus.tallies.markRequest(decision.tuningId, `${AT}${stored.seq}`);
    return decision;
  }
  await bus.tallies.markRequest(decision.tuningId, lostMark(print));
  return taken(decision.tuningId, ANOTHER_ACCEPTED);
}

const ANOTHER_ACCEPTED = 'another request (or this one on a CSV whose bytes changed since) was accepted under this id';

/** The mark of a request that lost its claim to another one made at the same moment. */
function lostMark(print: string): string {
  return `lost-${print}`;
}

const STORED = 'stored-';

/** The mark of a request stored on the work queue (by its fingerprint). */
function storedMark(print: string): string {
  return `${STORED}${print}`;
}

/** The mark of a tuning the worker finished with. */
const WORK_DONE = 'done';

/** Marks of where a copy of the request is stored (`at-<stream sequence>`), and of a copy the worker gave up on. */
const AT = 'at-';
const GAVE_UP = 'gave-up-';

function taken(tuningId: string, what: string): IntakeDecision {
  const message = `already taken: ${what} (ids are kept 7 days); choose another id to run a new tuning (the earlier one is unaffected)`;
  return { accepted: false, tuningId, errors: [{ path: 'tuning_id', message }] };
}

/**
 * The fingerprints a request is known by: its own (CSVs pinned) and, when the intake pinned them, the request as sent
 * (what a release before the pinning marked and stored: its repeat is still a repeat).
 */
function printsOf(request: TuneRequest, asSent: TuneRequest | undefined): string[] {
  const own = requestPrint(request);
  const sent = asSent === undefined ? own : requestPrint(asSent);
  return sent === own ? [own] : [own, sent];
}

/** The request's fingerprint: the first 16 hex digits of the SHA-256 of its parsed JSON. */
function requestPrint(request: TuneRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 16);
}

/** The id a refused request claimed, when it can name a `tune.rejected` event (1–128 characters), else null. */
function claimedTuningId(raw: unknown): string | null {
  const claimed = (raw as { tuning_id?: unknown } | null)?.tuning_id;
  return typeof claimed === 'string' && claimed.length >= 1 && claimed.length <= 128 ? claimed : null;
}

const MAX_PROBLEMS = 20;
const MAX_TEXT = 300;

/**
 * At most 20 problems of at most 300 characters each (the last one says how many more there were): a hostile
 * request with thousands of errors or huge keys still gets a small reply and a small `tune.rejected` event.
 */
export function limitProblems(problems: readonly ValidationProblem[]): ValidationProblem[] {
  const cut = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);
  const kept = problems.slice(0, MAX_PROBLEMS).map((p) => ({ path: cut(p.path), message: cut(p.message) }));
  const more = problems.length - kept.length;
  return more > 0 ? [...kept, { path: '(request)', message: `… and ${more} more problems` }] : kept;
}

/** The `tune.rejected` data of a refused request (at intake, or by the worker when its data prove unusable). */
export function rejection(tuningId: string | null, errors: ValidationProblem[]): EventData<'tune.rejected'> {
  return { tuning_id: tuningId, errors, rejected_at: new Date().toISOString() };
}

/** The reply sent to a requester that gave a reply subject. */
export function replyFor(decision: IntakeDecision): TuneReply {
  return decision.accepted
    ? { status: 'accepted', tuning_id: decision.tuningId, trial_count: decision.trialCount }
    : { status: 'rejected', tuning_id: decision.tuningId, errors: decision.errors };
}

/** A fresh, sortable tuning id such as `tun-20261128T183500-1a2b3c4d`. */
export function newTuningId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');
  return `tun-${stamp}-${randomUUID().slice(0, 8)}`;
}
