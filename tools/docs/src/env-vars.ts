import { z } from 'zod';
import { code } from './markdown.js';

/** One environment variable as a config schema declares it. */
export interface EnvVar {
  readonly name: string;
  /** True when the schema rejects the variable being unset (no default, not optional). */
  readonly required: boolean;
  /** The default as the variable's text, or undefined when there is none. */
  readonly defaultValue: string | undefined;
  /** What values the schema accepts, in Markdown (`integer 0–65535`, ``one of `a`, `b` ``, `URL`, ...). */
  readonly accepts: string;
  readonly description: string;
}

interface JsonSchemaProperty {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  readonly format?: string;
}

/** An object schema whose keys are environment variable names (a service's `configSchema`). */
export type EnvSchema = z.ZodObject<Record<string, z.ZodType>>;

/** Every variable of an environment schema, in declaration order, from its JSON Schema (input side). */
export function envVarsOf(schema: EnvSchema): EnvVar[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchemaProperty>;
  };
  return Object.keys(schema.shape).map((name) => {
    const property = json.properties?.[name] ?? {};
    return {
      name,
      required: !schema.shape[name]!.safeParse(undefined).success,
      defaultValue: property.default === undefined ? undefined : String(property.default),
      accepts: acceptedValues(property),
      description: property.description ?? '',
    };
  });
}

function acceptedValues(property: JsonSchemaProperty): string {
  if (property.enum !== undefined) return `one of ${property.enum.map((v) => code(String(v))).join(', ')}`;
  if (property.type === 'integer' || property.type === 'number') return numberRange(property);
  if (property.format === 'uri') return 'URL';
  if (property.format === 'host') return 'IP address or host name (0.0.0.0 or :: for every interface)';
  if (property.pattern !== undefined) return `text matching ${code(property.pattern)}`;
  if (property.type === 'string')
    return property.minLength !== undefined && property.minLength > 0 ? 'non-empty text' : 'text';
  return 'text';
}

function numberRange(property: JsonSchemaProperty): string {
  const kind = property.type === 'integer' ? 'integer' : 'number';
  const bounded = (n: number | undefined) => (n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER ? n : undefined);
  const exclusiveMin = bounded(property.exclusiveMinimum);
  const exclusiveMax = bounded(property.exclusiveMaximum);
  const min = exclusiveMin ?? property.minimum;
  const max = exclusiveMax ?? bounded(property.maximum);
  if (exclusiveMin === undefined && exclusiveMax === undefined) {
    if (min !== undefined && max !== undefined) return `${kind} ${min}–${max}`;
    if (min !== undefined) return `${kind} ≥ ${min}`;
    if (max !== undefined) return `${kind} ≤ ${max}`;
    return kind;
  }
  const lower = min === undefined ? '' : `${min} ${exclusiveMin === undefined ? '≤' : '<'} `;
  const upper = max === undefined ? '' : ` ${exclusiveMax === undefined ? '≤' : '<'} ${max}`;
  if (lower !== '' && upper !== '') return `${kind}, ${lower}x${upper}`;
  return lower !== '' ? `${kind} > ${min}` : `${kind} < ${max}`;
}
