import type { Bus, ConsumerHandle } from '@mlops/bus';
import {
  type FeedbackReply,
  MonitorStatusRequestSchema,
  parseFeedback,
  type ReplyOf,
  RetrainHistoryRequestSchema,
  RetrainRequestSchema,
  SUBJECTS,
} from '@mlops/contracts';
import type { z } from 'zod';
import type { Monitor } from '../domain/monitor.js';

/**
 * Answers `feedback.received` (labels), `monitor.status` (what the monitor knows), `monitor.retrain` (a retrain
 * by hand) and `monitor.history` (past retrains), each a core request.
 */
export async function serveMonitorRequests(bus: Bus, monitor: Monitor): Promise<ConsumerHandle[]> {
  return await Promise.all([
    bus.serve(SUBJECTS.feedbackReceived, 'monitor-feedback', async (data) => await answerFeedback(monitor, data)),
    bus.serve(SUBJECTS.monitorStatus, 'monitor-status', async (data) => await answerStatus(monitor, data)),
    bus.serve(SUBJECTS.monitorRetrain, 'monitor-retrain', async (data) => await answerRetrain(monitor, data)),
    bus.serve(SUBJECTS.monitorHistory, 'monitor-history', async (data) => answerHistory(monitor, data)),
  ]);
}

/** Past retrains, newest first; a body that is not a history request is refused with why. */
export function answerHistory(monitor: Monitor, data: Uint8Array): ReplyOf<'monitor.history'> {
  const body = parseJson(data, {});
  if (!body.ok) return { status: 'refused', message: body.message };
  const parsed = RetrainHistoryRequestSchema.safeParse(body.value);
  if (!parsed.success) return { status: 'refused', message: `not a history request: ${problemsOf(parsed.error)}` };
  return { status: 'ok', retrains: monitor.retrainHistory(parsed.data.model, parsed.data.limit) };
}

/** A retrain by hand; a body that is not a retrain request is refused with the reason (nothing starts). */
export async function answerRetrain(monitor: Monitor, data: Uint8Array): Promise<ReplyOf<'monitor.retrain'>> {
  const body = parseJson(data, {});
  if (!body.ok) return { status: 'skipped', reason: 'failed', message: body.message };
  const parsed = RetrainRequestSchema.safeParse(body.value);
  if (!parsed.success) {
    return { status: 'skipped', reason: 'failed', message: `not a retrain request: ${problemsOf(parsed.error)}` };
  }
  return await monitor.retrainByHand(parsed.data);
}

/** Parses plain JSON labels; a malformed body or field refuses the whole message (nothing is stored). */
export async function answerFeedback(monitor: Monitor, data: Uint8Array): Promise<FeedbackReply> {
  const body = parseJson(data);
  if (!body.ok) return refused([{ path: '(body)', message: body.message }], 1);
  const parsed = parseFeedback(body.value);
  // One bad label refuses the whole message: every label in it is refused.
  if (!parsed.ok) return refused(parsed.errors, Array.isArray(body.value) ? body.value.length : 1);
  return await monitor.feedback(parsed.items);
}

/** What the monitor knows, of the versions the filter names; a filter it cannot read is refused with why. */
export async function answerStatus(monitor: Monitor, data: Uint8Array): Promise<ReplyOf<'monitor.status'>> {
  const body = parseJson(data, {});
  if (!body.ok) return { status: 'refused', message: body.message };
  const parsed = MonitorStatusRequestSchema.safeParse(body.value);
  if (!parsed.success) return { status: 'refused', message: `not a status request: ${problemsOf(parsed.error)}` };
  return { status: 'ok', versions: await monitor.status(parsed.data) };
}

function problemsOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

function parseJson(data: Uint8Array, empty?: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  const text = new TextDecoder().decode(data);
  if (text.trim() === '') {
    return empty === undefined
      ? { ok: false, message: 'the body is empty: send {"prediction_id": "…", "label": 0|1}' }
      : { ok: true, value: empty };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: `the body is not valid JSON: ${(err as Error).message}` };
  }
}

function refused(errors: FeedbackReply['errors'], labels: number): FeedbackReply {
  return { status: 'rejected', accepted: 0, duplicates: 0, conflicting: 0, refused: labels, errors };
}
