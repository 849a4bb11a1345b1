import type { z } from 'zod';

/** What a number variable may hold: decimal digits with an optional sign, fraction and exponent (`500`, `0.25`, `1e9`). */
const DECIMAL_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Wrappers that keep a variable's own type inside (its default, optional, …). */
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch']);

interface SchemaDef {
  readonly type: string;
  readonly coerce?: boolean;
  readonly innerType?: { readonly _zod: { readonly def: SchemaDef } };
  readonly shape?: Readonly<Record<string, { readonly _zod: { readonly def: SchemaDef } }>>;
}

/** Whether a variable's schema turns a string into a number (`z.coerce.number()`, however wrapped). */
function isCoercedNumber(def: SchemaDef): boolean {
  let current: SchemaDef | undefined = def;
  while (current !== undefined && WRAPPERS.has(current.type)) current = current.innerType?._zod.def;
  return current?.type === 'number' && current.coerce === true;
}

/** The names of an object schema's number variables (none when the schema is not an object). */
export function numberVariables(schema: z.ZodType): string[] {
  const def = schema._zod.def as SchemaDef;
  if (def.type !== 'object' || def.shape === undefined) return [];
  return Object.entries(def.shape)
    .filter(([, field]) => isCoercedNumber(field._zod.def))
    .map(([name]) => name);
}

/** Whether text is a plain decimal number (`500`, `-0.25`, `1e9`): what number settings and flags accept. */
export function isDecimalNumber(text: string): boolean {
  return DECIMAL_NUMBER.test(text);
}

/**
 * Why a number variable's text is refused, or undefined when it reads as a plain decimal number. Called before zod's
 * coercion, which takes `""` as 0, `0x10` as 16 and `" 500"` as 500, and words `abc` as "received NaN".
 */
export function numberTextProblem(name: string, text: string): string | undefined {
  if (isDecimalNumber(text)) {
    if (Number.isFinite(Number(text))) return undefined;
    return `${name}: ${JSON.stringify(text)} is too large a number to hold`;
  }
  if (text === '') return `${name} is empty: unset it to take the default, or give a number`;
  if (text.trim() !== text && isDecimalNumber(text.trim()))
    return `${name}: ${JSON.stringify(text)} has spaces around the number: write it without them`;
  return `${name}: ${JSON.stringify(text)} is not a number: write a decimal number such as 500, 0.25 or 1e9`;
}
