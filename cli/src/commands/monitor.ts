import { resolve } from 'node:path';
import {
  type ColumnDrift,
  type FeedbackItem,
  FeedbackItemSchema,
  type LivePerformance,
  MAX_FEEDBACK_ITEMS,
  refusedLabels,
  SUBJECTS,
  type VersionStatus,
} from '@mlops/contracts';
import { CsvSyntaxError, isBlankRecord, readCsv } from '@mlops/ml';
import { readText } from '../csv.js';
import { UsageError, unansweredRead } from '../errors.js';
import type { CliIo } from '../io.js';
import { askService } from '../nats-connection.js';
import { parseFlags, stringOptions } from '../options.js';

/** Help text of `mlops monitor`. */
export const MONITOR_USAGE = `usage: mlops monitor [--name MODEL] [--version N] [--nats URL]
  The latest window of every served version: per feature (a table model: per raw column, with its missing cells and
  unseen categories) the statistic, its threshold and whether it drifted; dataset drift; live performance from
  labelled predictions. Exit 0 with the report, or without --name and --version on a monitor that has seen no
  predictions yet, with a line saying so; exit 1 when --name or --version names nothing the monitor has seen.
The same with the plain nats CLI: nats request monitor.status '{}'.`;

/** Help text of `mlops feedback`. */
export const FEEDBACK_USAGE = `usage: mlops feedback --csv FILE [--model MODEL] [--nats URL]
  Sends true labels: a CSV with the columns prediction_id and label (the class's own value as the target held it,
  such as 5 or yes, or its index 0 or 1), in batches of at most ${MAX_FEEDBACK_ITEMS} labels and 512 KB. Exit 1 when any
  label is refused (why is printed).
The same with the plain nats CLI: nats request feedback.received '{"prediction_id": "…", "label": 1}'.`;

/** A served version's number as the monitor takes it. */
const WHOLE_NUMBER = /^\d+$/;
/** The longest model name the monitor takes. */
const MAX_NAME = 256;

/** `mlops monitor`: what the monitor knows, as text. */
export async function monitorCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions(['name', 'version', 'nats']), strict: true });
  const { name, version } = values;
  if (name !== undefined && (name === '' || name.length > MAX_NAME)) {
    throw new UsageError(`--name needs a model name of 1 to ${MAX_NAME} characters, got ${JSON.stringify(name)}`, 2);
  }
  if (version !== undefined && !WHOLE_NUMBER.test(version)) {
    throw new UsageError(`--version needs a whole number such as 3, got ${JSON.stringify(version)}`, 2);
  }
  const reply = await askService(io, { nats: values.nats, service: 'monitor' }, SUBJECTS.monitorStatus, {
    ...(name === undefined ? {} : { name }),
    ...(version === undefined ? {} : { version }),
  }).catch((err: unknown) => {
    throw unansweredRead(err, 'monitor', SUBJECTS.monitorStatus, 15);
  });
  if (reply.status === 'refused') throw new UsageError(`the monitor refused the request: ${reply.message}`, 2);
  if (reply.versions.length === 0) {
    // Nothing seen at all is a state (exit 0); nothing of what a filter names is a failure a script can test (exit 1).
    if (name !== undefined || version !== undefined) throw new UsageError(nothingSeen(name, version), 1);
    io.stdout('the monitor has seen no predictions yet (send some to POST /predict)\n');
    return 0;
  }
  io.stdout(`${reply.versions.map(versionReport).join('\n\n')}\n\n${refusedLabelsLine(reply.versions)}\n`);
  return 0;
}

/**
 * The labels the monitor refused since it started, once for the reply: it counts refusals for the whole stack (a
 * refused label names no version it joined), and repeats the same counts in each version's status.
 */
export function refusedLabelsLine(versions: readonly VersionStatus[]): string {
  const l = versions[0]?.labels;
  if (l === undefined) return '';
  // Another client's prediction is answered as unknown; an older monitor does not count it (absent).
  const otherClient = l.other_client === undefined ? '' : `, ${l.other_client} other client`;
  return `labels refused since the monitor started (all versions): ${l.unknown} unknown, ${l.expired} expired, ${l.duplicate} repeated, ${l.other_model} other model${otherClient}`;
}

/** Why a status filtered by model or version is empty: the monitor has seen nothing of what the filters name. */
function nothingSeen(name: string | undefined, version: string | undefined): string {
  const which = [
    ...(name === undefined ? [] : [`model ${name}`]),
    ...(version === undefined ? [] : [`version ${version}`]),
  ];
  return `the monitor has seen no predictions of ${which.join(' ')} (mlops monitor without --name and --version lists what it has seen)`;
}

/** `mlops feedback --csv FILE`: labels from a CSV, in batches; prints what was accepted and refused. */
export async function feedbackCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions(['csv', 'model', 'nats']), strict: true });
  if (values.csv === undefined) throw new UsageError('feedback needs --csv FILE (columns prediction_id,label)', 2);
  const items = await readLabels(resolve(io.cwd, values.csv), values.csv, values.model);
  const totals = { accepted: 0, duplicates: 0, conflicting: 0, refused: 0 };
  // A repeat naming another class than the first label changes nothing either, but the user should know of it.
  const conflicts = () =>
    totals.conflicting === 0 ? '' : ` (${totals.conflicting} with another label than the first, which stands)`;
  const summary = () =>
    `${totals.accepted} accepted, ${totals.duplicates} already labelled${conflicts()}, ${totals.refused} refused`;
  for (const { start, batch } of feedbackBatches(items)) {
    let reply: Awaited<ReturnType<typeof askService<typeof SUBJECTS.feedbackReceived>>>;
    try {
      const whenLost = 'send the file again once the stack is back (a label already stored counts as a repeat)';
      reply = await askService(
        io,
        { nats: values.nats, service: 'monitor', whenLost },
        SUBJECTS.feedbackReceived,
        batch,
      );
    } catch (err) {
      // Earlier batches are stored: say so, and that sending the file again is safe (a repeat changes nothing).
      if (start > 0)
        io.stderr(
          `labels of rows 2–${start + 1} were sent (${summary()}); the rest may not have been: send the file again (a label already stored counts as a repeat)\n`,
        );
      throw err;
    }
    totals.accepted += reply.accepted;
    totals.duplicates += reply.duplicates;
    totals.conflicting += reply.conflicting ?? 0;
    const refused = refusedLabels(reply);
    totals.refused += refused;
    for (const e of reply.errors.slice(0, 10)) io.stderr(`  ${refusalLine(e, start, batch.length)}\n`);
    const unlisted = refused - Math.min(10, reply.errors.length);
    if (unlisted > 0)
      io.stderr(`  … and ${unlisted} more refused labels in rows ${start + 2}–${start + batch.length + 1}\n`);
  }
  io.stdout(`labels: ${summary()}\n`);
  return totals.refused > 0 ? 1 : 0;
}

/** Bytes of JSON one feedback message carries at most: half of NATS's default 1 MB limit. */
const MAX_FEEDBACK_BATCH_BYTES = 512 * 1024;

/** The labels in batches of at most MAX_FEEDBACK_ITEMS and MAX_FEEDBACK_BATCH_BYTES of JSON, with where each starts. */
export function* feedbackBatches(
  items: readonly FeedbackItem[],
  maxBytes = MAX_FEEDBACK_BATCH_BYTES,
): Generator<{ start: number; batch: FeedbackItem[] }> {
  let start = 0;
  let bytes = 2;
  for (let i = 0; i < items.length; i++) {
    const size = Buffer.byteLength(JSON.stringify(items[i])) + 1;
    if (i > start && (i - start >= MAX_FEEDBACK_ITEMS || bytes + size > maxBytes)) {
      yield { start, batch: items.slice(start, i) };
      start = i;
      bytes = 2;
    }
    bytes += size;
  }
  if (start < items.length) yield { start, batch: items.slice(start) };
}

/** One version's status as a few lines and a per-feature table (its joined labels; refusals are not per version). */
export function versionReport(status: VersionStatus): string {
  const head = `${status.model} v${status.version}: ${status.windows} windows`;
  const lines = [head];
  const w = status.last_window;
  if (status.drift_unavailable !== null) lines.push(`  drift: not measured (${status.drift_unavailable})`);
  else if (w === null) lines.push('  drift: no window closed yet');
  else lines.push(...windowLines(w, status.drift_since_window));
  lines.push(...performanceLines(status.performance));
  // Refusals are the whole stack's: refusedLabelsLine says them once, below every version.
  lines.push(`  labels: ${status.labels.joined} joined`);
  return lines.join('\n');
}

function windowLines(w: NonNullable<VersionStatus['last_window']>, since: number | null): string[] {
  const verdict =
    w.dataset_drift === null ? `no verdict (${noVerdictReason(w)})` : w.dataset_drift ? 'DRIFT' : 'no drift';
  const episode = since === null ? '' : ` (drifting since window ${since})`;
  const share =
    w.drift_share === null
      ? ''
      : `, ${(w.drift_share * 100).toFixed(0)} % of ${w.missing.length === 0 ? 'features' : 'compared columns'} drifted`;
  const header = `  window ${w.window}: ${w.rows} rows, closed by ${w.closed_by} at ${w.closed_at.slice(0, 19).replace('T', ' ')}: ${verdict}${share}${episode}`;
  const columns = [...w.features, ...(w.prediction === null ? [] : [w.prediction])];
  const header2 = ['column', 'method', 'value', 'threshold', 'psi', 'js', 'mean', 'ref mean', 'drifted'];
  if (w.missing.length === 0) return [header, ...table(header2, columns.map(columnRow))];
  // A table model: raw columns with their missing cells and unseen categories; a column with no value is listed too.
  const missing = new Map(w.missing.map((m) => [m.name, m]));
  const compared = new Set(columns.map((c) => c.name));
  const rows = [
    ...columns.map((c) => [
      ...columnRow(c),
      percent(missing.get(c.name)?.share),
      percent(missing.get(c.name)?.reference_share),
      c.unseen === undefined ? '' : String(c.unseen),
    ]),
    ...w.missing
      .filter((m) => !compared.has(m.name))
      .map((m) => [m.name, 'no value', '', '', '', '', '', '', '', percent(m.share), percent(m.reference_share), '']),
  ];
  return [header, ...table([...header2, 'missing', 'ref missing', 'unseen rows'], rows)];
}

/** Why a window has no drift verdict, as far as the window itself says. */
function noVerdictReason(w: NonNullable<VersionStatus['last_window']>): string {
  if (w.missing.length > 0 && w.features.length === 0) return 'no column has a value to compare';
  return 'too few rows, or rows logged in another form than the reference';
}

function percent(share: number | undefined): string {
  return share === undefined ? '' : `${(share * 100).toFixed(1)} %`;
}

function columnRow(c: ColumnDrift): string[] {
  return [
    c.name,
    c.method,
    fmt(c.value),
    fmt(c.threshold),
    fmt(c.psi),
    fmt(c.js_distance),
    c.mean === null ? '-' : fmt(c.mean),
    c.reference_mean === null ? '-' : fmt(c.reference_mean),
    c.drifted ? 'YES' : 'no',
  ];
}

function performanceLines(p: LivePerformance): string[] {
  if (p.labelled === 0) return [`  live performance: no labels yet (${p.predictions} predictions)`];
  const metric = (name: string, v: number | null) => `${name} ${v === null ? '-' : v.toFixed(4)}`;
  const training = p.training === null ? '' : `; training ${p.training.name} ${p.training.value.toFixed(4)}`;
  const coverage = p.label_coverage === null ? '-' : `${(p.label_coverage * 100).toFixed(1)} %`;
  return [
    `  live performance on ${p.labelled} labelled of ${p.predictions} predictions (coverage ${coverage})${training}${p.degraded ? ': DEGRADED' : ''}`,
    `    ${[metric('accuracy', p.accuracy), metric('precision', p.precision), metric('recall', p.recall), metric('f1', p.f1), metric('roc_auc', p.roc_auc), metric('log_loss', p.log_loss)].join(', ')}`,
    `    label latency p50 ${seconds(p.label_latency_p50_s)}, p95 ${seconds(p.label_latency_p95_s)}`,
  ];
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: string[]) =>
    `    ${cells
      .map((c, j) => c.padEnd(widths[j] ?? 0))
      .join('  ')
      .trimEnd()}`;
  return [line(header), ...rows.map(line)];
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2);
}

function seconds(v: number | null): string {
  return v === null ? '-' : `${v.toFixed(1)} s`;
}

/**
 * A refused label with its file row (the header is row 1). The monitor keys an error of a batch of several labels
 * `3.label` (its index), of a batch of one just `label`: that one's row is the batch's.
 */
export function refusalLine(e: { path: string; message: string }, start: number, batchSize: number): string {
  const head = e.path.split('.')[0] ?? '';
  const index = /^\d+$/.test(head) ? Number(head) : batchSize === 1 && /^[a-z_]+$/.test(head) ? 0 : undefined;
  if (index === undefined) return `row ${e.path}: ${e.message}`;
  return `row ${start + index + 2}: ${e.message}`;
}

async function readLabels(file: string, path: string, model: string | undefined): Promise<FeedbackItem[]> {
  // As predict, fit and tune read a CSV: a byte that is not UTF-8 is named, not sent as U+FFFD.
  const text = await readText(file, path);
  let records: ReturnType<typeof readCsv>;
  try {
    records = readCsv(text).filter((r) => !isBlankRecord(r));
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new UsageError(`${path}: ${err.message}`, 1, { cause: err });
    throw err;
  }
  const [header, ...rows] = records;
  const columns = header?.cells.map((c) => c.trim()) ?? [];
  const id = columns.indexOf('prediction_id');
  const label = columns.indexOf('label');
  if (id < 0 || label < 0) throw new UsageError(`${path}: the header must name prediction_id and label`, 1);
  const twice = columns.find((c, i) => c !== '' && columns.indexOf(c) !== i);
  if (twice !== undefined) throw new UsageError(`${path}: the header names column "${twice}" twice`, 1);
  if (rows.length === 0) throw new UsageError(`${path}: no labels below the header`, 1);
  const problems: string[] = [];
  const seen = new Map<string, { label: string; line: number }>();
  const items = rows.map((r) => {
    // Empty cells past the header's columns (a trailing comma) are nothing; a value there is a row out of shape.
    if (r.cells.slice(columns.length).some((cell) => cell.trim() !== ''))
      problems.push(`${path}:${r.line}: ${r.cells.length} cells where the header has ${columns.length}`);
    const item = {
      prediction_id: r.cells[id]?.trim() ?? '',
      // As text, the value as the target held it ("5", "yes", or "1" of a target of 1 and 2), or the index "0"/"1"
      // when it names no class: the monitor maps it by the version's classes.
      label: r.cells[label]?.trim() ?? '',
      ...(model === undefined ? {} : { model }),
    };
    problems.push(...itemProblems(item).map((problem) => `${path}:${r.line}: ${problem}`));
    const before = seen.get(item.prediction_id);
    if (before === undefined) seen.set(item.prediction_id, { label: item.label, line: r.line });
    else if (before.label !== item.label)
      problems.push(
        `${path}:${r.line}: label ${item.label} for a prediction line ${before.line} labels ${before.label}`,
      );
    return item;
  });
  if (problems.length > 0) throw new UsageError(refusedFile(problems), 1);
  return items;
}

/** What keeps one row from being a label the monitor takes (the monitor refuses a whole batch for one of these). */
function itemProblems(item: FeedbackItem): string[] {
  if (item.label === '') return ['the label is empty'];
  const parsed = FeedbackItemSchema.safeParse(item);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

/** Every problem row of a file (the first 10 shown), and that nothing was sent. */
function refusedFile(problems: readonly string[]): string {
  if (problems.length === 1) return `${problems[0]} (nothing was sent)`;
  const shown = problems.slice(0, 10);
  const more = problems.length > shown.length ? [`… and ${problems.length - shown.length} more`] : [];
  return [...shown, ...more, `${problems.length} rows cannot be sent as labels: nothing was sent`].join('\n');
}
