import { createHash } from 'node:crypto';
import type { RetrainDataset } from '@mlops/contracts';
import { readRawTable } from '@mlops/ml';
import type { VersionInputs } from './drift-report.js';
import type { LabelledWindow } from './label-join.js';
import type { LoggedRequestFeatures } from './ports.js';

/** The folder of the trainer's data directory that retrain data sets are written to. */
export const RETRAIN_DATA_FOLDER = 'retrain';

/** A retrain's data set as written: the CSV text, and what `retrain.requested` says of it. */
export interface RetrainDatasetFile {
  readonly text: string;
  readonly target: string;
  readonly summary: RetrainDataset;
  /** A table model's column roles, pinned in the tune request so the trainer reads each column as the model did. */
  readonly table?: { readonly numeric: string[]; readonly categorical: string[] };
}

/** What a data set is made of: the version's inputs, its labelled window, and the features read back from the log. */
export interface RetrainDatasetParts {
  readonly model: string;
  readonly version: string;
  readonly inputs: VersionInputs;
  readonly window: LabelledWindow;
  readonly features: ReadonlyMap<string, LoggedRequestFeatures>;
  /** The newest this many labelled rows are kept. */
  readonly maxRows: number;
}

/** Turns one logged row into CSV cells; `unseen` counts the cells it could not give back (table models). */
interface RowWriter {
  readonly header: readonly string[];
  fits(logged: LoggedRequestFeatures): boolean;
  cells(values: Float64Array): string;
  unseen: number;
}

/**
 * Writes a version's labelled live rows as CSV: a header of its inputs and a target column, then per labelled row
 * its logged inputs and its class (the target's own label when it was text), oldest first. A matrix model's
 * features are written as shortest round-trip decimals (the trainer reads the same doubles); a table model's raw
 * columns are decoded: numbers as sent, categories by the model's fitted categories, missing (and never-seen
 * categories, whose value the log does not keep) as empty cells. The file name carries the content's digest, so a
 * data set is never overwritten.
 */
export function retrainDatasetFile(parts: RetrainDatasetParts): RetrainDatasetFile {
  const { inputs } = parts;
  const writer = inputs.table === null ? matrixWriter(inputs.featureNames) : tableWriter(inputs.table);
  const target = targetName(writer.header);
  const classes = inputs.classLabels ?? inputs.classes;
  const rows: { values: Float64Array; label: 0 | 1; at: number }[] = [];
  for (const [id, { labels, predictedAtMs }] of parts.window.requests) {
    const logged = parts.features.get(id);
    if (logged === undefined || !writer.fits(logged)) continue;
    labels.forEach((label, row) => {
      if (label !== 0 && label !== 1) return;
      const values = logged.features.subarray(row * logged.columns, (row + 1) * logged.columns);
      rows.push({ values, label, at: predictedAtMs });
    });
  }
  const kept = rows.slice(Math.max(0, rows.length - parts.maxRows));
  const lines = kept.map((row) => `${writer.cells(row.values)},${csvCell(classes[row.label])}`);
  const positives = kept.reduce((n, row) => n + row.label, 0);
  const text = `${[...writer.header, target].map(csvCell).join(',')}\n${lines.join('\n')}\n`;
  const sha256 = createHash('sha256').update(text).digest('hex');
  const path = `${RETRAIN_DATA_FOLDER}/${slug(parts.model)}-v${parts.version}-${sha256.slice(0, 12)}.csv`;
  const window = { from: iso(kept[0]?.at), to: iso(kept[kept.length - 1]?.at) };
  if (inputs.table !== null && kept.length > 0) checkKindsReadBack(text, inputs.table.columns, parts);
  const unseen = inputs.table === null ? {} : { unseen_cells: writer.unseen };
  return {
    text,
    target,
    summary: { path, sha256, rows: kept.length, positives, predictions: parts.window.predictions, window, ...unseen },
    ...(inputs.table === null ? {} : { table: rolesOf(inputs.table.columns) }),
  };
}

function matrixWriter(featureNames: readonly string[]): RowWriter {
  return {
    header: featureNames,
    fits: (logged) => !logged.rawColumns && logged.columns === featureNames.length,
    cells: (values) => Array.from(values, String).join(','),
    unseen: 0,
  };
}

function tableWriter(table: NonNullable<VersionInputs['table']>): RowWriter {
  const writer: RowWriter = {
    header: table.columns.map((c) => c.name),
    fits: (logged) => logged.rawColumns && logged.columns === table.columns.length,
    cells: (values) => Array.from(values, (value, j) => cellOf(value, j)).join(','),
    unseen: 0,
  };
  const cellOf = (value: number, j: number): string => {
    if (Number.isNaN(value)) return '';
    if (table.columns[j]?.role !== 'categorical') return String(value);
    const category = table.categories[j]?.[value];
    if (category === undefined) writer.unseen++;
    return category === undefined || category === null ? '' : csvCell(category);
  };
  return writer;
}

/** A retrain data set that would not train a model taking the same input as the version it replaces. */
export class RetrainDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The trainer types a CSV column by its cells (numbers when every filled cell is one): a text column whose recent
 * cells all look like numbers ("01", "2") would come back as numbers, and the retrained model would take another
 * input than the one clients send. Such a data set is refused, naming the column.
 */
function checkKindsReadBack(
  text: string,
  columns: NonNullable<VersionInputs['table']>['columns'],
  parts: RetrainDatasetParts,
): void {
  const back = readRawTable(text, { source: 'retrain data set', maxColumns: columns.length + 1 });
  columns.forEach((column, j) => {
    const kind = back.columns[j]?.kind;
    if (kind === column.kind) return;
    throw new RetrainDataError(
      `column "${column.name}" of ${parts.model} version ${parts.version} holds ${column.kind}, but its recent cells read back as ${kind} (e.g. text categories that all look like numbers): a model retrained on them would take another input`,
    );
  });
}

function rolesOf(columns: NonNullable<VersionInputs['table']>['columns']) {
  const named = (role: 'numeric' | 'categorical') => columns.filter((c) => c.role === role).map((c) => c.name);
  return { numeric: named('numeric'), categorical: named('categorical') };
}

/** A model name as a file name and id part: letters, digits, `_ . -` only, at most 40 characters. */
export function slug(name: string): string {
  return name.replace(/[^\w.-]/g, '_').slice(0, 40);
}

function targetName(columns: readonly string[]): string {
  let name = 'y';
  while (columns.includes(name)) name = `${name}_`;
  return name;
}

function csvCell(value: string | number | undefined): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function iso(ms: number | undefined): string {
  return new Date(ms ?? 0).toISOString();
}
