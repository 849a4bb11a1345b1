import {
  type RequestOf,
  type RetrainHistoryReply,
  type RetrainRequestedData,
  RetrainRequestSchema,
  SUBJECTS,
} from '@mlops/contracts';
import { UsageError, unansweredRead } from '../errors.js';
import type { CliIo } from '../io.js';
import { askService } from '../nats-connection.js';
import { decimal, parseFlags, stringOptions } from '../options.js';

/** Help text of `mlops retrain`. */
export const RETRAIN_USAGE = `usage: mlops retrain [--model MODEL] [--reason TEXT] [--by NAME] [--nats URL]
  Retrains the served version now on its labelled live rows (since its drift began, else over the monitor's
  performance window): the monitor writes them as a data set and sends the tune request; the gate decides whether
  the new model replaces the champion. Waives the drift, label-count and cooldown conditions of the automatic
  policy, not the one-at-a-time lease. Exit 1 when the monitor did not start one (the reason is printed).
The same with the plain nats CLI: nats request monitor.retrain '{"reason": "…"}'.`;

/** Help text of `mlops history`. */
export const HISTORY_USAGE = `usage: mlops history [--model MODEL] [--limit N] [--nats URL]
  The chain of each retrain, newest first: trigger → data set → tuning → version → gate verdict → champion move.
  Exit 0, with a line saying so when there is no retrain yet.
The same with the plain nats CLI: nats request monitor.history '{}'.`;

/** A retrain can take a while to start: the monitor reads the log back and waits for the trainer's intake. */
const RETRAIN_REPLY_MS = 90_000;

/** `mlops retrain`: asks the monitor to retrain the served version and prints what it started (or why not). */
export async function retrainCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions(['model', 'reason', 'by', 'nats']), strict: true });
  const request = retrainRequestOf(values, io);
  const reply = await askService(
    io,
    {
      nats: values.nats,
      service: 'monitor',
      timeoutMs: RETRAIN_REPLY_MS,
      whenLost: 'the retrain may have started: see mlops history once the stack is back',
    },
    SUBJECTS.monitorRetrain,
    request,
  );
  if (reply.status === 'skipped')
    throw new UsageError(`no retrain started (${reply.reason.replace(/_/g, ' ')}): ${reply.message}`, 1);
  io.stdout(`${retrainReport(reply.retrain)}\n`);
  return 0;
}

/** The flags each field of a retrain request comes from. */
const RETRAIN_FLAGS: Record<string, string> = { model: '--model', reason: '--reason', requested_by: '--by' };

/** The retrain request the flags make, checked as the monitor checks it: a value it would refuse is a usage error. */
function retrainRequestOf(
  values: { model?: string | undefined; reason?: string | undefined; by?: string | undefined },
  io: CliIo,
): RequestOf<typeof SUBJECTS.monitorRetrain> {
  for (const flag of ['reason', 'by'] as const) {
    const text = values[flag];
    if (text !== undefined && text.trim() === '')
      throw new UsageError(`--${flag} needs some text, got ${JSON.stringify(text)}`, 2);
  }
  const request = {
    ...(values.model === undefined ? {} : { model: values.model }),
    ...(values.reason === undefined ? {} : { reason: values.reason }),
    requested_by: values.by ?? (io.env.USER || 'mlops retrain'),
  };
  const parsed = RetrainRequestSchema.safeParse(request);
  if (parsed.success) return request;
  const issue = parsed.error.issues[0];
  const key = String(issue?.path[0] ?? '');
  const flag = RETRAIN_FLAGS[key] ?? key;
  const value = request[key as keyof typeof request];
  throw new UsageError(`${flag} ${JSON.stringify(value)}: ${issue?.message ?? 'refused'}`, 2);
}

/** What a started retrain is made of, in a few lines. */
export function retrainReport(r: RetrainRequestedData): string {
  const d = r.dataset;
  const coverage =
    d.predictions === 0
      ? ''
      : ` (${Math.round((100 * d.rows) / d.predictions)} % of ${d.predictions} predictions labelled)`;
  return [
    `retrain ${r.retrain_id} requested (${r.trigger}: ${r.detail})`,
    `  tuning:   ${r.tuning_id}`,
    `  data set: ${d.path}, ${d.rows} labelled rows${coverage}, ${d.positives} of class 1`,
    `  window:   predictions from ${d.window.from} to ${d.window.to}`,
    `  sha256:   ${d.sha256}`,
    '  follow it with: mlops models (the gate verdict) and mlops monitor',
  ].join('\n');
}

/** `mlops history`: past retrains, newest first, each with the chain from its trigger to the champion alias. */
export async function historyCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions(['model', 'limit', 'nats']), strict: true });
  const limit = values.limit === undefined ? 20 : decimal(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new UsageError(`--limit must be a whole number from 1 to 1000, got ${values.limit}`, 2);
  }
  const reply = await askService(io, { nats: values.nats, service: 'monitor' }, SUBJECTS.monitorHistory, {
    ...(values.model === undefined ? {} : { model: values.model }),
    limit,
  }).catch((err: unknown) => {
    throw unansweredRead(err, 'monitor', SUBJECTS.monitorHistory, 15);
  });
  if (reply.status === 'refused') throw new UsageError(`the monitor refused the request: ${reply.message}`, 2);
  if (reply.retrains.length === 0) {
    const of = values.model === undefined ? '' : ` of ${JSON.stringify(values.model)}`;
    io.stdout(
      `no retrain${of} yet (the monitor starts one when drift persists or performance degrades; or: mlops retrain)\n`,
    );
    return 0;
  }
  io.stdout(`${reply.retrains.map(historyEntry).join('\n\n')}\n`);
  return 0;
}

/** One retrain's chain, as a few aligned lines. */
export function historyEntry({ retrain: r, outcome }: RetrainHistoryReply['retrains'][number]): string {
  const d = r.dataset;
  const lines = [
    `${r.requested_at}  retrain ${r.retrain_id} of ${r.model} v${r.version} (${r.trigger}: ${r.detail})`,
    `  data set  ${d.path}: ${d.rows} labelled rows of ${d.predictions} predictions, ${d.window.from} → ${d.window.to}${unseenNote(d.unseen_cells)}`,
    `  tuning    ${r.tuning_id}`,
  ];
  if (outcome === null)
    return [...lines, '  verdict   pending (the tuning runs, or its outcome has not reached the monitor)'].join('\n');
  if (outcome.version === null)
    return [...lines, `  verdict   ${outcome.verdict} at ${outcome.at}: ${outcome.reason}`].join('\n');
  const run = outcome.run_id === null ? '' : ` (run ${outcome.run_id})`;
  lines.push(`  version   ${outcome.version}${run}`);
  lines.push(`  gate      ${outcome.verdict} at ${outcome.at}: ${outcome.reason}`);
  const champion = outcome.champion_version === null ? 'none' : `v${outcome.champion_version}`;
  lines.push(
    outcome.verdict === 'promoted'
      ? `  champion  ${champion} → v${outcome.version}`
      : `  champion  stays ${champion} (v${outcome.version} is the challenger)`,
  );
  return lines.join('\n');
}

/** A table retrain's cells of categories the model never saw (written as missing); nothing when there were none. */
function unseenNote(cells: number | undefined): string {
  return cells === undefined || cells === 0 ? '' : ` (${cells} cells of unseen categories written as missing)`;
}
