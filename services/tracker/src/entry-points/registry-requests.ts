import type { Bus, ConsumerHandle } from '@mlops/bus';
import {
  type ChampionMoveReply,
  type EventData,
  type RequestSubject,
  requestSchema,
  SELECTION_METRICS,
  SUBJECTS,
} from '@mlops/contracts';
import type { KeyedQueue, Logger } from '@mlops/service-kit';
import type { z } from 'zod';
import { listVersions, type ManualOutcome, promote, rollback } from '../domain/champion-control.js';
import type { ChampionRegistry } from '../domain/ports.js';
import { CHAMPION_ALIAS, TAGS } from '../domain/tags.js';

const QUEUE = 'tracker-registry';

/** What the registry requests need. */
export interface RegistryDeps {
  readonly bus: Bus;
  readonly registry: ChampionRegistry;
  readonly logger: Logger;
  /** One move at a time per registered model, shared with the gate. */
  readonly modelMoves: KeyedQueue;
}

/**
 * Answers `registry.models`, `registry.promote` and `registry.rollback` (core request/reply, so `nats request`
 * works as well as the CLI). A move of the champion is announced with `model.registered`, as the gate's are.
 */
export async function serveRegistryRequests(deps: RegistryDeps): Promise<ConsumerHandle[]> {
  const { bus, registry } = deps;
  return await Promise.all([
    bus.serve(SUBJECTS.registryModels, QUEUE, async (body) => {
      const request = parse(SUBJECTS.registryModels, body);
      return request.ok ? await listVersions(registry, request.value) : request.refusal;
    }),
    bus.serve(SUBJECTS.registryPromote, QUEUE, async (body) => {
      const request = parse(SUBJECTS.registryPromote, body);
      if (!request.ok) return request.refusal;
      const { name } = request.value;
      return await deps.modelMoves.run(name, async () =>
        announce(deps, await promote(registry, request.value, new Date())),
      );
    }),
    bus.serve(SUBJECTS.registryRollback, QUEUE, async (body) => {
      const request = parse(SUBJECTS.registryRollback, body);
      if (!request.ok) return request.refusal;
      const { name } = request.value;
      return await deps.modelMoves.run(name, async () =>
        announce(deps, await rollback(registry, request.value, new Date())),
      );
    }),
  ]);
}

type Refusal = { status: 'rejected'; errors: { path: string; message: string }[] };

function parse<S extends RequestSubject>(
  subject: S,
  body: Uint8Array,
): { ok: true; value: z.output<ReturnType<typeof requestSchema<S>>> } | { ok: false; refusal: Refusal } {
  const text = new TextDecoder().decode(body).trim();
  let raw: unknown = {};
  try {
    if (text !== '') raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, refusal: refusal('(body)', `not valid JSON: ${(err as Error).message}`) };
  }
  const parsed = requestSchema(subject).safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data as z.output<ReturnType<typeof requestSchema<S>>> };
  const errors = parsed.error.issues
    .slice(0, 20)
    .map((i) => ({ path: i.path.join('.') || '(request)', message: i.message.slice(0, 300) }));
  return { ok: false, refusal: { status: 'rejected', errors } };
}

async function announce(deps: RegistryDeps, outcome: ManualOutcome): Promise<ChampionMoveReply> {
  if (!('move' in outcome)) return outcome;
  const { reply, move, record } = outcome;
  const tags = record.tags;
  const metricValue = Number(tags[TAGS.metricValue]);
  const metricName = SELECTION_METRICS.find((m) => m === tags[TAGS.selectionMetric]);
  const data: EventData<'model.registered'> = {
    tuning_id: tags[TAGS.tuningId] ?? 'manual',
    trial_id: tags[TAGS.trialId] ?? 'manual',
    name: reply.name,
    version: move.version,
    alias: CHAMPION_ALIAS,
    run_id: record.runId ?? 'unknown',
    model_uri: `models:/${reply.name}/${move.version}`,
    source_uri: record.source,
    metric: metricName !== undefined && Number.isFinite(metricValue) ? { name: metricName, value: metricValue } : null,
    previous_version: move.previous,
    reason: `${move.kind} by ${move.by}: ${move.reason}`,
    registered_at: move.at,
  };
  // The move's own time: the history's length stops growing at its cap, and a repeated move must be announced again.
  const key = `${reply.name}:${move.version}:${move.kind}:${move.at}`;
  await deps.bus.publishEvent(SUBJECTS.modelRegistered, data, { key });
  deps.logger.info({ name: reply.name, ...move }, `champion moved by ${move.kind}`);
  return reply;
}

function refusal(path: string, message: string): Refusal {
  return { status: 'rejected', errors: [{ path, message }] };
}
