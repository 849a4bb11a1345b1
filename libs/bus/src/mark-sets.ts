import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type BucketOptions, openBucket } from './buckets.js';

/**
 * Named sets of members in one JetStream key-value bucket, one key per member. Marking is an idempotent put, never a
 * compare-and-set: a clustered stream does not serialise compare-and-set writes (nats-server#4320 up to 2.9.20, and
 * across a leader change still, #8469), so replicas sharing one read-modify-write record could lose an update.
 */
export interface MarkSets {
  /** Adds `member` to set `name` (adding it again changes nothing); returns every member of the set after it. */
  mark(name: string, member: string): Promise<ReadonlySet<string>>;
  /** Every member of set `name` (empty when none was marked). */
  members(name: string): Promise<ReadonlySet<string>>;
  /**
   * Whether `member` is in set `name`: one key read, cheaper than `members` for a large set, and not linearisable (a
   * replica may not have a mark just made): for checks where a stale "no" only costs work done again.
   */
  has(name: string, member: string): Promise<boolean>;
}

/** Members: letters, digits, `-` and `_` (a key-value token). */
const MEMBER = /^[-\w]+$/;

/** The mark sets of `bucket` (created when missing with `replicas` copies, members living `ttlMs` after marking). */
export async function markSets(
  nc: NatsConnection,
  jsm: JetStreamManager,
  bucket: string,
  options: BucketOptions,
): Promise<MarkSets> {
  const kv = await openBucket(nc, bucket, options);
  const setOf = (name: string) => Buffer.from(name, 'utf8').toString('base64url');
  const members = async (name: string): Promise<ReadonlySet<string>> => {
    const prefix = `$KV.${bucket}.${setOf(name)}.`;
    // The stream's leader answers with every subject under the set: linearisable, unlike a direct get from a replica.
    const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}>` });
    return new Set(Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length)));
  };
  return {
    async mark(name, member) {
      if (!MEMBER.test(member))
        throw new RangeError(`mark set member ${JSON.stringify(member)}: letters, digits, - or _`);
      await kv.put(`${setOf(name)}.${member}`, '');
      return await members(name);
    },
    members,
    async has(name, member) {
      if (!MEMBER.test(member)) return false;
      const entry = await kv.get(`${setOf(name)}.${member}`);
      return entry !== null && entry.operation === 'PUT';
    },
  };
}
