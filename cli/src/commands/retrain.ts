import { parseArgs } from 'node:util';
import { type RetrainRequestedData, SUBJECTS } from '@mlops/contracts';
import type { CliIo } from '../io.js';
import { askService } from '../nats-connection.js';
import { stringOptions } from '../options.js';

/** Help text for `mlops retrain`. */
export const RETRAIN_USAGE = `usage: mlops retrain [--model MODEL] [--reason TEXT] [--by NAME] [--nats URL]
  Retrains the served version now on its labelled live rows (since its drift began, else over the monitor's
  performance window): the monitor writes them as a data set and sends the tune request; the gate decides whether
  the new model replaces the champion. Waives the drift, label-count and cooldown conditions of the automatic
  policy, not the one-at-a-time lease. Exit 1 when the monitor did not start one (the reason is printed).
The same with the plain nats CLI: nats request monitor.retrain '{"reason": "…"}'.`;

/** A retrain can take a while to start: the monitor reads the log back and waits for the trainer's intake. */
const RETRAIN_REPLY_MS = 90_000;

/** `mlops retrain`: asks the monitor to retrain the served version and prints what it started (or why not). */
export async function retrainCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: stringOptions(['model', 'reason', 'by', 'nats']), strict: true });
  const reply = await askService(
    io,
    { nats: values.nats, service: 'monitor', timeoutMs: RETRAIN_REPLY_MS },
    SUBJECTS.monitorRetrain,
    {
      ...(values.model === undefined ? {} : { model: values.model }),
      ...(values.reason === undefined ? {} : { reason: values.reason }),
      requested_by: values.by ?? io.env.USER ?? 'mlops retrain',
    },
  );
  if (reply.status === 'skipped') {
    io.stderr(`no retrain started (${reply.reason.replace(/_/g, ' ')}): ${reply.message}\n`);
    return 1;
  }
  io.stdout(`${retrainReport(reply.retrain)}\n`);
  return 0;
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
