import type { ChampionMoveReply, ListModelsReply, ModelVersionSummary, SelectionMetric } from '@mlops/contracts';
import { SELECTION_METRICS } from '@mlops/contracts';
import type { ChampionMove, ChampionRegistry, VersionRecord } from './ports.js';
import { CHAMPION_ALIAS, GATE_TAGS, TAGS } from './tags.js';

/** A manual move that happened: the version now champion, with what the `model.registered` event needs. */
export interface ManualMove {
  readonly reply: Extract<ChampionMoveReply, { status: 'ok' }>;
  readonly move: ChampionMove;
  readonly record: VersionRecord;
}

/** `registry.models`: the champion and the newest versions with metric, gate verdict, aliases and tuning. */
export async function listVersions(
  registry: ChampionRegistry,
  request: { name: string; limit: number },
): Promise<ListModelsReply> {
  const versions = await registry.versions(request.name, request.limit);
  if (versions === null) return refuse('name', `no registered model named ${JSON.stringify(request.name)}`);
  return {
    status: 'ok',
    name: request.name,
    champion: await registry.championVersion(request.name),
    versions: versions.map(summary),
  };
}

/** What a manual request leads to: a move to announce, or an answer alone (a refusal, or a repeat overtaken since). */
export type ManualOutcome = ManualMove | ChampionMoveReply;

/** `registry.promote`: champion to any existing version of the named model, recording who asked and why. */
export async function promote(
  registry: ChampionRegistry,
  request: { name: string; version: string; reason: string; by: string; request_id?: string | undefined },
  now: Date,
): Promise<ManualOutcome> {
  const repeated = await repeatedRequest(registry, request, { kind: 'promote', version: request.version });
  if (repeated !== undefined) return repeated;
  const record = await registry.version(request.name, request.version);
  if (record === null) {
    return refuse('version', `${request.name} has no version ${request.version}: see mlops models`);
  }
  const current = await registry.championVersion(request.name);
  if (current === request.version) {
    return refuse('version', `version ${request.version} is already the champion of ${request.name}`);
  }
  const move: ChampionMove = {
    kind: 'promote',
    version: request.version,
    previous: current,
    reason: request.reason,
    by: request.by,
    at: now.toISOString(),
    ...requestOf(request),
  };
  return await apply(registry, request.name, move, record);
}

/**
 * `registry.rollback`: champion back to the one before it. The history is replayed as a stack (a promotion or a
 * gate move pushes, a rollback pops), so successive rollbacks keep walking back instead of toggling.
 */
export async function rollback(
  registry: ChampionRegistry,
  request: { name: string; reason: string; by: string; request_id?: string | undefined },
  now: Date,
): Promise<ManualOutcome> {
  const repeated = await repeatedRequest(registry, request, { kind: 'rollback' });
  if (repeated !== undefined) return repeated;
  const current = await registry.championVersion(request.name);
  if (current === null) return refuse('name', `${request.name} has no champion to roll back`);
  const target = rollbackTarget(await registry.history(request.name), current);
  if (target === undefined) return refuse('name', `no champion before v${current} in the promotion history`);
  const record = await registry.version(request.name, target);
  if (record === null) return refuse('name', `v${target}, the champion before v${current}, no longer exists`);
  const move: ChampionMove = {
    kind: 'rollback',
    version: target,
    previous: current,
    reason: request.reason,
    by: request.by,
    at: now.toISOString(),
    ...requestOf(request),
  };
  return await apply(registry, request.name, move, record);
}

/**
 * A request whose id the history holds was made before (its answer lost): the last move of the history is finished
 * again (history, alias and event are idempotent), one overtaken since is only answered, and another request under
 * the same id is refused; undefined when the id is new or absent. Ids older than the history's cap are not remembered.
 */
async function repeatedRequest(
  registry: ChampionRegistry,
  request: { name: string; request_id?: string | undefined },
  asked: { kind: ChampionMove['kind']; version?: string },
): Promise<ManualOutcome | undefined> {
  const { name, request_id: requestId } = request;
  if (requestId === undefined) return undefined;
  const history = await registry.history(name);
  const at = history.findLastIndex((m) => m.request === requestId);
  const earlier = history[at];
  if (earlier === undefined) return undefined;
  if (earlier.kind !== asked.kind || (asked.version !== undefined && asked.version !== earlier.version)) {
    const what = `a ${earlier.kind} to v${earlier.version} at ${earlier.at}`;
    return refuse('request_id', `${JSON.stringify(requestId)} was already used by ${what}: send a new id`);
  }
  if (at < history.length - 1) {
    const champion = await registry.championVersion(name);
    return { ...replyOf(name, earlier), repeat_of: { made_at: earlier.at, champion } };
  }
  const record = await registry.version(name, earlier.version);
  if (record === null) return refuse('name', `v${earlier.version}, which this request made champion, no longer exists`);
  const finished = await apply(registry, name, earlier, record);
  const repeatOf = { made_at: earlier.at, champion: earlier.version };
  return { ...finished, reply: { ...finished.reply, repeat_of: repeatOf } };
}

function replyOf(name: string, move: ChampionMove): Extract<ChampionMoveReply, { status: 'ok' }> {
  return { status: 'ok', name, version: move.version, previous_version: move.previous };
}

function requestOf(request: { request_id?: string | undefined }): { request?: string } {
  return request.request_id === undefined ? {} : { request: request.request_id };
}

/**
 * Where a rollback from `current` goes: the champion before it on the stack. When the stack's last entry is not the
 * current champion, a move was cut short after its history entry (written before the alias): from a champion still on
 * the stack, the one before it; from one that is not (a rollback cut short), the stack's last, which finishes it.
 */
export function rollbackTarget(history: readonly ChampionMove[], current: string): string | undefined {
  const stack = championStack(history);
  const at = stack.lastIndexOf(current);
  return at === -1 ? stack.at(-1) : stack[at - 1];
}

/** The champions in the order they took over, with every rollback undone: the last is the current one. */
export function championStack(history: readonly ChampionMove[]): string[] {
  const stack: string[] = [];
  for (const move of history) {
    if (move.kind === 'rollback') {
      // Back from the champion it left (a move cut short above it on the stack goes too), else from the top.
      const from = move.previous === null ? -1 : stack.lastIndexOf(move.previous);
      stack.splice(from === -1 ? Math.max(0, stack.length - 1) : from);
      if (stack.at(-1) !== move.version) stack.push(move.version);
    } else if (stack.at(-1) !== move.version) {
      stack.push(move.version);
    }
  }
  return stack;
}

async function apply(registry: ChampionRegistry, name: string, move: ChampionMove, record: VersionRecord) {
  await registry.moveChampion(name, move);
  return { reply: replyOf(name, move), move, record };
}

function summary(record: VersionRecord): ModelVersionSummary {
  const { tags } = record;
  const metricName = tags[TAGS.selectionMetric];
  const metricValue = Number(tags[TAGS.metricValue]);
  const known = SELECTION_METRICS.includes(metricName as SelectionMetric) && Number.isFinite(metricValue);
  return {
    version: record.version,
    created_at: record.createdAt === undefined ? '' : new Date(record.createdAt).toISOString(),
    aliases: [...record.aliases].sort((a, b) => (a === CHAMPION_ALIAS ? -1 : b === CHAMPION_ALIAS ? 1 : 0)),
    metric: known ? { name: metricName as SelectionMetric, value: metricValue } : null,
    gate_status: tags[GATE_TAGS.status] ?? null,
    gate_reason: tags[GATE_TAGS.reason] ?? null,
    tuning_id: tags[TAGS.tuningId] ?? null,
  };
}

function refuse(path: string, message: string): { status: 'rejected'; errors: { path: string; message: string }[] } {
  return { status: 'rejected', errors: [{ path, message }] };
}
