import type { ClassLabel } from './ports.js';

/** A version's two classes: the values its predictions are logged as, and the target's own text labels if any. */
export interface VersionClasses {
  /** The model's class values, as the predictor logs its predicted labels (`[2, 5]`, or `[0, 1]`). */
  readonly classes: readonly [number, number];
  /** The target's own labels of classes 0 and 1 when it was text (`["no", "yes"]`). */
  readonly classLabels?: readonly [ClassLabel, ClassLabel] | undefined;
}

/** A label mapped to its class index, or why it names no class (an answer for the client, never a failure). */
export type ClassOfLabel = { readonly index: 0 | 1 } | { readonly error: string };

/**
 * A label as its class index: the class's own value (a number as the target held it, or its text, or a number's
 * text: `5`, `"5"`, `"yes"`), or the index 0 or 1 (`1` or `"1"`) where it is not the value of a class. Text is read
 * as a value first (`"1"` of classes 1 and 2 is class 0); the number 1 there is both and refused as ambiguous.
 */
export function classOfLabel(label: number | string, version: VersionClasses, name: string): ClassOfLabel {
  const values = ownValues(version);
  const byValue = values.findIndex((value) => sameValue(label, value));
  // A number may be an index as well as a value (ambiguous when they differ); text is a value first, an index only
  // when it names no value (a CSV cell "1" of a target of 1 and 2 is the class 1).
  const asIndex = label === 0 || label === 1 || label === '0' || label === '1' ? Number(label) : -1;
  const byIndex = typeof label === 'number' || byValue === -1 ? asIndex : -1;
  if (byValue !== -1 && byIndex !== -1 && byValue !== byIndex) {
    return {
      error: `${show(label)} is ambiguous for ${name}: it is the value of class ${byValue} (${show(values[byValue] as ClassLabel)}) and the index of class ${byIndex} (${show(values[byIndex] as ClassLabel)}); send the class's value as text (${values.map((v) => JSON.stringify(String(v))).join(' or ')})`,
    };
  }
  const index = byValue !== -1 ? byValue : byIndex;
  if (index === 0 || index === 1) return { index };
  return { error: `${show(label)} is not a class of ${name}: ${accepted(values)}` };
}

/**
 * A logged predicted label as its class index: 1 for the model's second class, 0 for its first, NaN for a value that
 * is neither (a log that does not fit the version: its rows are left out of live performance).
 */
export function predictedIndex(value: number, classes: readonly [number, number] | undefined): number {
  if (classes === undefined) return value === 0 || value === 1 ? value : Number.NaN;
  if (value === classes[1]) return 1;
  return value === classes[0] ? 0 : Number.NaN;
}

/** What a label of the version may be, for a refusal. */
function accepted(values: readonly [ClassLabel, ClassLabel]): string {
  const [first, second] = values;
  if (first === 0 && second === 1) return 'its classes are 0 and 1 (send 0 or 1, as a number or as text)';
  const kind = values.every((v) => typeof v === 'number') ? 'as a number or as text' : 'as text';
  return `send a class's own value (${show(first)} or ${show(second)}, ${kind}) or its index (0 for ${show(first)}, 1 for ${show(second)})`;
}

function ownValues(version: VersionClasses): readonly [ClassLabel, ClassLabel] {
  return version.classLabels ?? version.classes;
}

function sameValue(label: number | string, value: ClassLabel): boolean {
  if (typeof label === 'number') return label === value;
  if (label === String(value)) return true;
  return typeof value === 'number' && label.trim() !== '' && Number(label) === value;
}

function show(value: ClassLabel): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}
