import { createHash } from 'node:crypto';
import type { RetrainDataset } from '@mlops/contracts';
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

/**
 * Writes a matrix model's labelled live rows as CSV: a header of its feature names and a target column, then per
 * labelled row its logged features (shortest round-trip decimals, so the trainer reads the same doubles) and its
 * class value, oldest first. The file name carries the content's digest, so a data set is never overwritten.
 */
export function retrainDatasetFile(parts: RetrainDatasetParts): RetrainDatasetFile {
  const { inputs } = parts;
  const target = targetName(inputs.featureNames);
  const rows: { line: string; label: number; at: number }[] = [];
  for (const [id, { labels, predictedAtMs }] of parts.window.requests) {
    const logged = parts.features.get(id);
    if (logged === undefined || logged.columns !== inputs.featureNames.length) continue;
    labels.forEach((label, row) => {
      if (label === -1) return;
      const values = logged.features.subarray(row * logged.columns, (row + 1) * logged.columns);
      rows.push({ line: `${Array.from(values, String).join(',')},${inputs.classes[label]}`, label, at: predictedAtMs });
    });
  }
  const kept = rows.slice(Math.max(0, rows.length - parts.maxRows));
  const positives = kept.reduce((n, row) => n + row.label, 0);
  const header = [...inputs.featureNames, target].map(csvField).join(',');
  const text = `${header}\n${kept.map((row) => row.line).join('\n')}\n`;
  const sha256 = createHash('sha256').update(text).digest('hex');
  const path = `${RETRAIN_DATA_FOLDER}/${slug(parts.model)}-v${parts.version}-${sha256.slice(0, 12)}.csv`;
  const window = { from: iso(kept[0]?.at), to: iso(kept[kept.length - 1]?.at) };
  return {
    text,
    target,
    summary: { path, sha256, rows: kept.length, positives, predictions: parts.window.predictions, window },
  };
}

/** A model name as a file name and id part: letters, digits, `_ . -` only, at most 40 characters. */
export function slug(name: string): string {
  return name.replace(/[^\w.-]/g, '_').slice(0, 40);
}

function targetName(features: readonly string[]): string {
  let name = 'y';
  while (features.includes(name)) name = `${name}_`;
  return name;
}

function csvField(name: string): string {
  return /[",\n\r]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

function iso(ms: number | undefined): string {
  return new Date(ms ?? 0).toISOString();
}
