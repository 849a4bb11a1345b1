import { type EventData, HoldoutSchema } from '@mlops/contracts';

/** Reads a stored holdout's bytes; undefined when it is not there (expired, deleted); rejects when it cannot be read. */
export type ReadStoredHoldout = (
  ref: NonNullable<EventData<'tuning.completed'>['stored_holdout']>,
) => Promise<Uint8Array | undefined>;

/**
 * The tuning as the gate and the figures judge it: with the whole holdout in place of the event's cut one when the
 * event names a stored one that is still there and agrees with it; otherwise as it came, with the reason (`kept`).
 */
export async function withStoredHoldout(
  data: EventData<'tuning.completed'>,
  read: ReadStoredHoldout,
): Promise<{ data: EventData<'tuning.completed'>; kept?: string }> {
  const ref = data.stored_holdout;
  if (ref === undefined || data.holdout === undefined) return { data };
  let bytes: Uint8Array | undefined;
  try {
    bytes = await read(ref);
  } catch (err) {
    // Retrying could hold the tuning for good (chunks gone, a corrupt object): it is judged, on the carried rows.
    return { data, kept: `stored holdout ${ref.bucket}/${ref.name} could not be read: ${(err as Error).message}` };
  }
  if (bytes === undefined)
    return { data, kept: `stored holdout ${ref.bucket}/${ref.name} is not there (expired, or never stored)` };
  const whole = checkedWhole(data.holdout, ref.rows, bytes);
  if (typeof whole === 'string') return { data, kept: `stored holdout ${ref.bucket}/${ref.name} ${whole}` };
  return { data: { ...data, holdout: whole } };
}

type Holdout = NonNullable<EventData<'tuning.completed'>['holdout']>;

/** The stored holdout when it is one and starts with the carried rows; otherwise what is wrong with it. */
function checkedWhole(carried: Holdout, rows: number, bytes: Uint8Array): Holdout | string {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return 'is not JSON';
  }
  const parsed = HoldoutSchema.safeParse(json);
  if (!parsed.success) return 'breaks the holdout schema';
  const whole = parsed.data;
  if (whole.rows.length !== rows || whole.labels.length !== rows) return `holds ${whole.rows.length} rows, not ${rows}`;
  const sameStart =
    JSON.stringify(whole.feature_names) === JSON.stringify(carried.feature_names) &&
    JSON.stringify(whole.rows.slice(0, carried.rows.length)) === JSON.stringify(carried.rows) &&
    JSON.stringify(whole.labels.slice(0, carried.labels.length)) === JSON.stringify(carried.labels);
  return sameStart ? whole : 'does not start with the rows the event carries';
}
