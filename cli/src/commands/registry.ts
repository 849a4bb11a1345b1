import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import {
  type ChampionMoveReply,
  type ListModelsReply,
  RegisteredModelNameSchema,
  type RequestOf,
  SUBJECTS,
} from '@mlops/contracts';
import { UnansweredRequestError, UsageError, unansweredRead } from '../errors.js';
import type { CliIo } from '../io.js';
import { askService } from '../nats-connection.js';
import { integerOption, parseFlags, stringOptions } from '../options.js';

const MODELS_LINE = 'usage: mlops models [--name One_Customer_Classifier] [--limit 20] [--nats URL]';
const MODELS_TEXT = `  The registered versions, newest first: metric, gate verdict, aliases, tuning. Exit 0 with the table, or without
  --name on a stack where no model is registered yet, with a line saying so; exit 1 when --name names no registered
  model.`;
const PROMOTE_LINE =
  'usage: mlops promote --version N --reason "why" [--name NAME] [--nats URL] [--timeout 15] [--request-id ID]';
const PROMOTE_TEXT =
  '  Moves champion to version N (any version, a rejected one too); the predictors follow within seconds.';
const ROLLBACK_LINE =
  'usage: mlops rollback [--reason "why"] [--name NAME] [--nats URL] [--timeout 15] [--request-id ID]';
const ROLLBACK_TEXT = '  Moves champion back to the champion before it (from the promotion history).';
const MOVE_TEXT = `A move the tracker refuses changes nothing and exits 1 with why. A move carries a request id (new unless
--request-id gives one): left unanswered within --timeout seconds, it is sent again twice under the same id, and the
tracker answers a repeat from the move it made instead of moving again.`;

/** Help text of `mlops models`. */
export const MODELS_USAGE = `${MODELS_LINE}
${MODELS_TEXT}
The same with the plain nats CLI: nats request registry.models '{}'.`;

/** Help text of `mlops promote`. */
export const PROMOTE_USAGE = `${PROMOTE_LINE}
${PROMOTE_TEXT}
${MOVE_TEXT}
The same with the plain nats CLI: nats request registry.promote '{"version": "2", "reason": "…"}'.`;

/** Help text of `mlops rollback`. */
export const ROLLBACK_USAGE = `${ROLLBACK_LINE}
${ROLLBACK_TEXT}
${MOVE_TEXT}
The same with the plain nats CLI: nats request registry.rollback '{}'.`;

/** Help text for the registry commands together, as the overview shows them. */
export const REGISTRY_USAGE = `${MODELS_LINE}
${MODELS_TEXT}
${PROMOTE_LINE}
${PROMOTE_TEXT}
${ROLLBACK_LINE}
${ROLLBACK_TEXT}
${MOVE_TEXT}
The same with the plain nats CLI: nats request registry.models '{}', registry.promote, registry.rollback.`;

const MOVE_OPTIONS = ['reason', 'name', 'nats', 'timeout', 'request-id'] as const;
/** A move left unanswered is sent again this many times under its request id. */
const MOVE_RETRIES = 2;

/** `mlops models`: the versions of a registered model as a table. */
export async function modelsCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions(['name', 'limit', 'nats']), strict: true });
  const name = modelNameOption(values.name);
  const limit = integerOption(values, 'limit');
  if (limit !== undefined && (limit < 1 || limit > MAX_LIMIT)) {
    throw new UsageError(`--limit needs a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(values.limit)}`, 2);
  }
  const reply = await askService(io, { nats: values.nats, service: 'tracker' }, SUBJECTS.registryModels, {
    ...(name === undefined ? {} : { name }),
    ...(limit === undefined ? {} : { limit }),
  }).catch((err: unknown) => {
    throw unansweredRead(err, 'tracker', SUBJECTS.registryModels, READ_TIMEOUT_S);
  });
  if (reply.status === 'ok') {
    io.stdout(`${modelsTable(reply)}\n`);
    return 0;
  }
  // A read changes nothing: the tracker's refusal is what it knows, not a move it declined.
  const [only] = reply.errors;
  if (reply.errors.length === 1 && only?.path === 'name') {
    // The only refusal under `name` the tracker gives a valid name: no model is registered under it.
    if (name !== undefined) throw new UsageError(only.message, 1);
    io.stdout(`no model is registered yet (${only.message}): mlops tune trains one and registers it\n`);
    return 0;
  }
  throw new UsageError(`the tracker refused the request:${refusalText(reply.errors)}`, 1);
}

/** `mlops promote`: champion to a chosen version, with a reason. */
export async function promoteCommand(args: string[], io: CliIo): Promise<number> {
  const options = stringOptions(['version', ...MOVE_OPTIONS]);
  const { values } = parseFlags({ args, options, strict: true });
  if (values.version === undefined) throw new UsageError('promote needs --version N (see mlops models)', 2);
  if (!VERSION_NUMBER.test(values.version)) {
    throw new UsageError(
      `--version needs a version number such as 3 (see mlops models), got ${JSON.stringify(values.version)}`,
      2,
    );
  }
  if (values.reason === undefined) throw new UsageError('promote needs --reason "why" (kept in the history)', 2);
  const name = checkMoveFlags(values);
  const reply = await askMove(io, values, SUBJECTS.registryPromote, {
    version: values.version,
    reason: values.reason,
    by: requester(io),
    ...(name === undefined ? {} : { name }),
  });
  return moved(io, reply);
}

/** `mlops rollback`: champion back to the one before it. */
export async function rollbackCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions([...MOVE_OPTIONS]), strict: true });
  const name = checkMoveFlags(values);
  const reply = await askMove(io, values, SUBJECTS.registryRollback, {
    by: requester(io),
    ...(values.reason === undefined ? {} : { reason: values.reason }),
    ...(name === undefined ? {} : { name }),
  });
  return moved(io, reply);
}

/** How long askService waits for a read's answer by default, in seconds. */
const READ_TIMEOUT_S = 15;
/** Most versions `registry.models` lists at once. */
const MAX_LIMIT = 200;
/** A registered model's version as the registry requests take it. */
const VERSION_NUMBER = /^[1-9]\d{0,9}$/;
/** A move's request id as the tracker takes it. */
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The longest reason the promotion history keeps. */
const MAX_REASON = 500;

/** --name as the registry takes it; a name it would refuse is a usage error naming the flag and the value. */
function modelNameOption(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const parsed = RegisteredModelNameSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new UsageError(`--name ${JSON.stringify(raw)}: ${parsed.error.issues[0]?.message ?? 'not a model name'}`, 2);
}

/** The flags of a move checked before it is sent (a malformed one is a usage error); the model name, if given. */
function checkMoveFlags(values: {
  name?: string | undefined;
  reason?: string | undefined;
  'request-id'?: string | undefined;
}): string | undefined {
  const reason = values.reason;
  if (reason !== undefined && (reason.trim() === '' || reason.trim().length > MAX_REASON)) {
    throw new UsageError(`--reason needs 1 to ${MAX_REASON} characters of text, got ${JSON.stringify(reason)}`, 2);
  }
  const id = values['request-id'];
  if (id !== undefined && !REQUEST_ID.test(id)) {
    throw new UsageError(`--request-id needs 1 to 64 letters, digits, "-" or "_", got ${JSON.stringify(id)}`, 2);
  }
  return modelNameOption(values.name);
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

function moved(io: CliIo, reply: ChampionMoveReply): number {
  if (reply.status === 'rejected') throw new UsageError(`refused, nothing changed:${refusalText(reply.errors)}`, 1);
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

/**
 * The tracker's reasons for a refusal, to follow a colon: one on the same line, several one a line. A reason under
 * `name` is shown without the key: the tracker files every finding about the model's state there (no such model, no
 * champion, none before it, a version gone), and a malformed --name never reaches it, so `name:` would blame a flag
 * that is fine.
 */
function refusalText(errors: readonly { path: string; message: string }[]): string {
  const lines = errors.map((e) => (e.path === 'name' ? e.message : `${e.path}: ${e.message}`));
  return lines.length === 1 ? ` ${lines[0]}` : `\n${lines.map((line) => `  ${line}`).join('\n')}`;
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
