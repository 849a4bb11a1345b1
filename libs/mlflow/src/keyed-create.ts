import { MlflowInvalidArgumentError } from './errors.js';
import type { LookUp, Transport } from './http.js';

/** The caller's idempotency key of a create: a tag written on the new resource and searched for to find it again. */
export interface IdempotencyTag {
  readonly key: string;
  readonly value: string;
  /**
   * The caller knows nothing carries this tag yet (it keeps an index of what it made): the lookup before the create is
   * skipped. A create whose answer is lost is still looked up before any re-send.
   */
  readonly knownAbsent?: boolean;
}

/**
 * Find-or-create: returns what `lookUp` finds; else creates, and the transport looks up again before any re-send
 * (see the `keyed-create` row of `RETRY_POLICY`), so a create whose answer was lost never makes a second resource.
 */
export async function findOrCreate<T, R>(
  http: Transport,
  request: { readonly endpoint: string; readonly payload: object },
  lookUp: LookUp<R>,
  fromAnswer: (answer: T) => R | Promise<R>,
  key?: IdempotencyTag,
): Promise<R> {
  const existing = key?.knownAbsent === true ? null : await lookUp();
  if (existing !== null) return existing;
  const outcome = await http.createOnce<T, R>(request.endpoint, request.payload, lookUp);
  return 'found' in outcome ? outcome.found : await fromAnswer(outcome.created);
}

/** `tags` plus the key's tag; the same tag name with another value is refused before any request. */
export function tagsWithKey(
  tags: Readonly<Record<string, string>> | undefined,
  key: IdempotencyTag,
): Record<string, string> {
  const given = tags?.[key.key];
  if (given !== undefined && given !== key.value) {
    throw new MlflowInvalidArgumentError('idempotencyTag', `tag ${key.key} is also given with another value`);
  }
  return { ...tags, [key.key]: key.value };
}
