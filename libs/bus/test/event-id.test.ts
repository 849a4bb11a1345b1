import { createHash } from 'node:crypto';
import { MAX_EVENT_ID_LENGTH, SUBJECTS } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { checkedEnvelope, eventId } from '../src/events.js';
import { loadFailed } from './events-fixture.js';

/** Half of a surrogate pair with no other half next to it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** A model name of `length` characters (the registry takes up to 256). */
const nameOf = (length: number, fill = 'n') => fill.repeat(length);

describe('eventId', () => {
  it('when <subject>:<key> fits the id limit, then the id is exactly that, up to the last character', () => {
    expect(eventId(SUBJECTS.modelRegistered, 'm:1')).toBe('model.registered:m:1');
    const room = MAX_EVENT_ID_LENGTH - 'model.registered:'.length;
    expect(eventId(SUBJECTS.modelRegistered, nameOf(room))).toBe(`model.registered:${nameOf(room)}`);
  });

  it('when the key names a long model, then the id fits the limit: its readable start, then the SHA-256 of the key', () => {
    const key = `${nameOf(256)}:12`;
    const id = eventId(SUBJECTS.modelRegistered, key);
    expect(id.length).toBeLessThanOrEqual(MAX_EVENT_ID_LENGTH);
    expect(id).toMatch(/^model\.registered:n{100,}~[0-9a-f]{64}$/);
    expect(id.endsWith(`~${sha256(key)}`)).toBe(true);
  });

  it('when the same long key comes again, then it gets the same id; two long keys differing only at the end get two', () => {
    const name = nameOf(256);
    const ids = [`${name}:1`, `${name}:1`, `${name}:2`, `${name}:1:p-1`, `${name}:1:p-2`].map((key) =>
      eventId(SUBJECTS.modelLoadFailed, key),
    );
    expect(ids[1]).toBe(ids[0]);
    expect(new Set(ids).size).toBe(4);
    expect(ids.every((id) => id.length <= MAX_EVENT_ID_LENGTH)).toBe(true);
  });

  it('when the cut falls inside a character outside the BMP, then the id keeps no half of it', () => {
    for (const pad of ['', 'x']) {
      const id = eventId(SUBJECTS.modelRegistered, `${pad}${nameOf(150, '😀')}:1`);
      expect(id, pad).not.toMatch(LONE_SURROGATE);
      expect(id.length).toBeLessThanOrEqual(MAX_EVENT_ID_LENGTH);
    }
  });
});

describe('checkedEnvelope', () => {
  it('when an event is keyed by a 256-character model name, then its envelope fits its schema and carries eventId', () => {
    const name = nameOf(256);
    const key = `${name}:1:p-1`;
    const envelope = checkedEnvelope(SUBJECTS.modelLoadFailed, { ...loadFailed('1'), name }, { key }, 'mlops/t');
    expect(envelope.id).toBe(eventId(SUBJECTS.modelLoadFailed, key));
    expect(envelope.data.name).toBe(name);
  });
});
