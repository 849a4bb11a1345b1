import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isDecimalNumber } from '@mlops/service-kit';
import { UsageError } from './errors.js';

/**
 * node:util parseArgs in strict mode, refusing a flag given twice unless it
 * is declared `multiple` (a list whose repeats add up): parseArgs alone would silently keep the last value.
 */
export function parseFlags<
  T extends ParseArgsConfig & { options: NonNullable<ParseArgsConfig['options']>; strict: true },
>(config: T): ReturnType<typeof parseArgs<T & { tokens: true }>> {
  const parsed = parseArgs<T & { tokens: true }>({ ...config, tokens: true });
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || config.options[token.name]?.multiple === true) continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once: give it once`);
    seen.add(token.name);
  }
  return parsed;
}

/** Raw option values as node:util parseArgs returns them. */
export type RawOptions = Record<string, string | boolean | undefined>;

/** A required or optional finite number option; the error names the flag and the bad text. */
export function numberOption(values: RawOptions, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' ? decimal(raw) : Number.NaN;
  if (!Number.isFinite(value)) throw new UsageError(`--${name} ${notANumber(String(raw))}`);
  return value;
}

/** Why a flag's text is no usable number, to follow the flag's name: too large, infinite, or no number at all. */
export function notANumber(text: string): string {
  if (isDecimalNumber(text)) return `${text} is too large: a float64 holds at most about 1.8e308`;
  if (INFINITY.test(text.trim())) return `needs a finite number, got "${text}"`;
  return `needs a number, got "${text}"`;
}

/** The spellings of infinity a user may try (`inf`, `Infinity`, `-inf`). */
const INFINITY = /^[+-]?(inf|infinity)$/i;

/** An integer option (counts, seeds, iteration limits). */
export function integerOption(values: RawOptions, name: string): number | undefined {
  const value = numberOption(values, name);
  if (value !== undefined && !Number.isInteger(value)) {
    throw new UsageError(`--${name} needs an integer, got "${String(values[name])}"`);
  }
  return value;
}

/** A comma-separated list of numbers such as `--weights 0.9,0.1`. */
export function numberListOption(values: RawOptions, name: string): number[] | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const parts = String(raw).split(',');
  const numbers = parts.map((p) => decimal(p.trim()));
  const large = parts.find((p) => isDecimalNumber(p.trim()) && !Number.isFinite(Number(p.trim())));
  if (large !== undefined) throw new UsageError(`--${name} ${notANumber(large.trim())}`);
  if (!numbers.every(Number.isFinite)) throw new UsageError(`--${name} needs comma-separated numbers, got "${raw}"`);
  return numbers;
}

/** A string option that must be present. */
export function requiredString(values: RawOptions, name: string): string {
  const raw = values[name];
  if (typeof raw !== 'string' || raw === '') throw new UsageError(`--${name} is required`);
  return raw;
}

/** Defines parseArgs string options from a list of flag names. */
export function stringOptions<K extends string>(names: readonly K[]): Record<K, { type: 'string' }> {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])) as Record<K, { type: 'string' }>;
}

/** The number a flag's text writes in decimal (`0.5`, `1e-3`); NaN for anything else (`0x10`, `Infinity`, empty). */
export function decimal(text: string): number {
  return isDecimalNumber(text) ? Number(text) : Number.NaN;
}
