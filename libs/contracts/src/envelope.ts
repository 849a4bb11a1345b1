import { z } from 'zod';

/** The CloudEvents spec version every envelope carries. */
export const SPEC_VERSION = '1.0';

/** The longest envelope `id` (also the JetStream message id); the bus shortens a longer one (see `eventId`). */
export const MAX_EVENT_ID_LENGTH = 200;

/** CloudEvents `type` for an event name and schema version, e.g. `mlops.run.completed.v1`. */
export function eventType(name: string, version = 1): string {
  return `mlops.${name}.v${version}`;
}

/** A CloudEvents 1.0 structured-mode JSON envelope around a data schema. */
export function envelopeSchema<T extends z.ZodType>(type: string, data: T) {
  return z.object({
    specversion: z.literal(SPEC_VERSION),
    id: z.string().min(1).max(MAX_EVENT_ID_LENGTH),
    source: z.string().min(1).max(200),
    type: z.literal(type),
    time: z.iso.datetime({ offset: true }),
    datacontenttype: z.literal('application/json').optional(),
    subject: z.string().max(200).optional(),
    data,
  });
}

/** The envelope fields as TypeScript sees them for a given data type. */
export interface Envelope<T> {
  specversion: typeof SPEC_VERSION;
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype?: 'application/json';
  subject?: string;
  data: T;
}

/**
 * Wraps data in an envelope. The `id` must be deterministic for the fact it describes (e.g. `run.completed:<trial>`),
 * because it doubles as the JetStream message id: a re-published event is then de-duplicated, not stored twice.
 */
export function makeEnvelope<T>(options: {
  type: string;
  id: string;
  source: string;
  data: T;
  time?: Date;
}): Envelope<T> {
  return {
    specversion: SPEC_VERSION,
    id: options.id,
    source: options.source,
    type: options.type,
    time: (options.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    data: options.data,
  };
}
