/** `{key, value}` as MLflow sends and receives tags and params. */
export interface WireKeyValue {
  readonly key: string;
  readonly value: string;
}

/** A double on the wire: proto3 JSON spells non-finite values as strings. */
export type WireDouble = number | 'NaN' | 'Infinity' | '-Infinity';

/** Key/value pairs as a record (the server omits empty lists, so undefined → {}). */
export function recordFromWire(pairs: readonly WireKeyValue[] | undefined): Readonly<Record<string, string>> {
  const record: Record<string, string> = {};
  for (const { key, value } of pairs ?? []) record[key] = value;
  return record;
}

/** A record as `[{key, value}]`, in insertion order. */
export function recordToWire(record: Readonly<Record<string, string>> | undefined): WireKeyValue[] {
  return Object.entries(record ?? {}).map(([key, value]) => ({ key, value }));
}

/** NaN and ±Infinity as the proto3 JSON strings the server parses ("NaN" round-trips; ±Infinity is stored as ±max double). */
export function doubleToWire(value: number): WireDouble {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

/** Parses a wire double, accepting the non-finite string spellings. */
export function doubleFromWire(value: WireDouble | string | undefined): number {
  if (value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

/** int64 fields arrive as JSON numbers (proto3 would allow strings: accept both). */
export function int64FromWire(value: number | string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** Versions travel as strings ("3"); callers want both forms. */
export function versionFields(version: string | number): { version: string; versionNumber: number } {
  return { version: String(version), versionNumber: Number(version) };
}
