import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { type ChampionMoveReply, type ListModelsReply, type RequestOf, SUBJECTS } from '@mlops/contracts';
import { UnansweredRequestError, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { askService } from '../nats-connection.js';
import { integerOption, parseFlags, stringOptions } from '../options.js';

/** Help text for the registry commands. */
export const REGISTRY_USAGE = `usage: mlops models [--name One_Customer_Classifier] [--limit 20] [--nats URL]
  The registered versions, newest first: metric, gate verdict, aliases, tuning.
usage: mlops promote --version N --reason "why" [--name NAME] [--nats URL] [--timeout 15] [--request-id ID]
  Moves champion to version N (any version, a rejected one too); the predictors follow within seconds.
usage: mlops rollback [--reason "why"] [--name NAME] [--nats URL] [--timeout 15] [--request-id ID]
  Moves champion back to the champion before it (from the promotion history).
A move carries a request id (new unless --request-id gives one): left unanswered within --timeout seconds, it is
sent again twice under the same id, and the tracker answers a repeat from the move it made instead of moving again.
The same with the plain nats CLI: nats request registry.models '{}', registry.promote, registry.rollback.`;

const MOVE_OPTIONS = ['reason', 'name', 'nats', 'timeout', 'request-id'] as const;
/** A move left unanswered is sent again this many times under its request id. */
const MOVE_RETRIES = 2;

/** `mlops models`: the versions of a registered model as a table. */
export async function modelsCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions(['name', 'limit', 'nats']), strict: true });
  const reply = await askService(io, { nats: values.nats, service: 'tracker' }, SUBJECTS.registryModels, {
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(values.limit === undefined ? {} : { limit: integerOption(values, 'limit') }),
  });
  if (reply.status === 'rejected') return refused(io, 'models', reply);
  io.stdout(`${modelsTable(reply)}\n`);
  return 0;
}

/** `mlops promote`: champion to a chosen version, with a reason. */
export async function promoteCommand(args: string[], io: CliIo): Promise<number> {
  const options = stringOptions(['version', ...MOVE_OPTIONS]);
  const { values } = parseFlags({ args, options, strict: true });
  if (values.version === undefined) throw new UsageError('promote needs --version N (see mlops models)', 2);
  if (values.reason === undefined) throw new UsageError('promote needs --reason "why" (kept in the history)', 2);
  const reply = await askMove(io, values, SUBJECTS.registryPromote, {
    version: values.version,
    reason: values.reason,
    by: requester(io),
    ...(values.name === undefined ? {} : { name: values.name }),
  });
  return moved(io, 'promote', reply);
}

/** `mlops rollback`: champion back to the one before it. */
export async function rollbackCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions([...MOVE_OPTIONS]), strict: true });
  const reply = await askMove(io, values, SUBJECTS.registryRollback, {
    by: requester(io),
    ...(values.reason === undefined ? {} : { reason: values.reason }),
    ...(values.name === undefined ? {} : { name: values.name }),
  });
  return moved(io, 'rollback', reply);
}

/** A champion move under one request id, sent again under it while unanswered. */
async function askMove<S extends typeof SUBJECTS.registryPromote | typeof SUBJECTS.registryRollback>(
  io: CliIo,
  values: { nats?: string | undefined; timeout?: string | undefined; 'request-id'?: string | undefined },
  subject: S,
  body: Omit<RequestOf<S>, 'request_id'>,
): Promise<ChampionMoveReply> {
  const timeout = integerOption(values, 'timeout') ?? 15;
  if (timeout < 1) throw new UsageError(`--timeout needs at least 1 second, got ${timeout}`, 2);
  const requestId = values['request-id'] ?? randomUUID();
  const options = { nats: values.nats, service: 'tracker', timeoutMs: timeout * 1000, retries: MOVE_RETRIES };
  try {
    return await askService(io, options, subject, { ...body, request_id: requestId });
  } catch (err) {
    if (!(err instanceof UnansweredRequestError)) throw err;
    throw new UsageError(
      `${err.message}; a request went unanswered, so the move may still happen: send it again with --request-id ${requestId} to make it at most once`,
      1,
      { cause: err },
    );
  }
}

/** The versions as aligned columns, champion marked. */
export function modelsTable(reply: Extract<ListModelsReply, { status: 'ok' }>): string {
  const header = ['version', 'aliases', 'metric', 'gate', 'tuning', 'created'];
  const rows = reply.versions.map((v) => [
    v.version,
    v.aliases.join(',') || '-',
    v.metric === null ? '-' : `${v.metric.name}=${Number(v.metric.value.toFixed(4))}`,
    v.gate_status ?? '-',
    v.tuning_id ?? '-',
    v.created_at.slice(0, 19).replace('T', ' '),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, j) => c.padEnd(widths[j]!))
      .join('  ')
      .trimEnd();
  const reasons = reply.versions.filter((v) => v.gate_reason !== null).map((v) => `  v${v.version}: ${v.gate_reason}`);
  const champion = reply.champion === null ? 'no champion yet' : `champion: version ${reply.champion}`;
  return [
    `${reply.name} (${champion})`,
    line(header),
    ...rows.map(line),
    ...(reasons.length ? ['gate:', ...reasons] : []),
  ].join('\n');
}

function moved(io: CliIo, command: string, reply: ChampionMoveReply): number {
  if (reply.status === 'rejected') return refused(io, command, reply);
  const from = reply.previous_version === null ? '' : ` (was version ${reply.previous_version})`;
  if (reply.repeat_of === undefined) {
    io.stdout(`champion of ${reply.name} is now version ${reply.version}${from}\n`);
    return 0;
  }
  const { made_at: madeAt, champion } = reply.repeat_of;
  const now = champion === null ? 'it has no champion now' : `champion is version ${champion} now`;
  io.stdout(`this request was made at ${madeAt}: it moved ${reply.name} to version ${reply.version}${from}; ${now}\n`);
  return 0;
}

function refused(io: CliIo, command: string, reply: { errors: { path: string; message: string }[] }): number {
  io.stderr(
    `mlops ${command}: refused, nothing changed:\n${reply.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}\n`,
  );
  return 1;
}

function requester(io: CliIo): string {
  const user = io.env.USER ?? io.env.LOGNAME ?? safeUser();
  return `mlops CLI (${user})`;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown user';
  }
}
