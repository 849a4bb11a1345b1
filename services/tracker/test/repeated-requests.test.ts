import { describe, expect, it } from 'vitest';
import { type ManualOutcome, promote, rollback } from '../src/domain/champion-control.js';
import type { ChampionMove, ChampionRegistry, VersionRecord } from '../src/domain/ports.js';

const NAME = 'm';
const at = (minute: number) => new Date(Date.UTC(2026, 11, 3, 12, minute));

/**
 * The registry in memory with the MLflow adapter's write order: history first (a move equal to the last entry, request
 * id included, is not appended again), then the alias. `cutAfterHistory` makes the next move stop between the two, as a crash would.
 */
function memoryRegistry(champions: string[]) {
  const history: ChampionMove[] = champions.map((version, i) => ({
    kind: 'gate',
    version,
    previous: champions[i - 1] ?? null,
    reason: 'better',
    by: 'gate',
    at: at(i).toISOString(),
  }));
  const state = { champion: champions.at(-1) ?? null, cutAfterHistory: false };
  const registry: ChampionRegistry = {
    championVersion: async () => state.champion,
    loadModel: async () => {
      throw new Error('not needed');
    },
    recordedVerdict: async () => undefined,
    recordVerdict: async () => {},
    async moveChampion(_name, move) {
      const last = history.at(-1);
      const same = last?.version === move.version && last.previous === move.previous && last.request === move.request;
      if (!same) history.push(move);
      if (state.cutAfterHistory) {
        state.cutAfterHistory = false;
        throw new Error('crashed after the history entry');
      }
      state.champion = move.version;
    },
    markChallenger: async () => {},
    challengerVersion: async () => null,
    history: async () => [...history],
    version: async (_name, version): Promise<VersionRecord> => ({
      version,
      createdAt: undefined,
      aliases: [],
      tags: {},
      runId: undefined,
      source: 's',
    }),
    versions: async () => null,
  };
  return { registry, state, history };
}

const ask = (by: string, request_id?: string) => ({ name: NAME, reason: 'complaints', by, request_id });
const moved = (outcome: ManualOutcome) => 'move' in outcome;
const replyOf = (outcome: ManualOutcome) => ('move' in outcome ? outcome.reply : outcome);
const kinds = (history: ChampionMove[]) => history.map((m) => `${m.kind}:${m.version}`);

describe('a manual move sent again with its request id', () => {
  it('when a rollback is sent again after its answer was lost, then it is answered from the first and walks back no further', async () => {
    const { registry, state, history } = memoryRegistry(['1', '2', '3']);
    const first = await rollback(registry, ask('ana', 'r-1'), at(10));
    const again = await rollback(registry, ask('ana', 'r-1'), at(11));
    expect(replyOf(first)).toEqual({ status: 'ok', name: NAME, version: '2', previous_version: '3' });
    expect(replyOf(again)).toEqual({ ...replyOf(first), repeat_of: { made_at: at(10).toISOString(), champion: '2' } });
    expect(state.champion).toBe('2');
    expect(kinds(history)).toEqual(['gate:1', 'gate:2', 'gate:3', 'rollback:2']);
    // Announced again under the first move's time, so the event's key is the same and JetStream keeps one.
    expect(moved(again) && again.move.at).toBe(at(10).toISOString());
  });

  it('when a rollback was cut short after its history entry, then the same request finishes it', async () => {
    const { registry, state, history } = memoryRegistry(['1', '2', '3']);
    state.cutAfterHistory = true;
    await expect(rollback(registry, ask('ana', 'r-2'), at(10))).rejects.toThrow('crashed after the history entry');
    expect(state.champion).toBe('3');
    const again = await rollback(registry, ask('ana', 'r-2'), at(11));
    expect(replyOf(again)).toMatchObject({ status: 'ok', name: NAME, version: '2', previous_version: '3' });
    expect(state.champion).toBe('2');
    expect(kinds(history)).toEqual(['gate:1', 'gate:2', 'gate:3', 'rollback:2']);
  });

  it('when the champion moved since, then the repeat is only answered and changes nothing', async () => {
    const { registry, state, history } = memoryRegistry(['1', '2', '3']);
    await rollback(registry, ask('ana', 'r-3'), at(10));
    await promote(registry, { ...ask('bo', 'p-1'), version: '3' }, at(12));
    const again = await rollback(registry, ask('ana', 'r-3'), at(13));
    expect(moved(again)).toBe(false);
    expect(replyOf(again)).toEqual({
      status: 'ok',
      name: NAME,
      version: '2',
      previous_version: '3',
      repeat_of: { made_at: at(10).toISOString(), champion: '3' },
    });
    expect(state.champion).toBe('3');
    expect(kinds(history)).toEqual(['gate:1', 'gate:2', 'gate:3', 'rollback:2', 'promote:3']);
  });

  it('when a promotion is sent again, then it is answered as the first was instead of "already the champion"', async () => {
    const { registry, state, history } = memoryRegistry(['1', '2']);
    const first = await promote(registry, { ...ask('ana', 'p-2'), version: '1' }, at(10));
    const again = await promote(registry, { ...ask('ana', 'p-2'), version: '1' }, at(11));
    expect(replyOf(first)).toEqual({ status: 'ok', name: NAME, version: '1', previous_version: '2' });
    expect(replyOf(again)).toEqual({ ...replyOf(first), repeat_of: { made_at: at(10).toISOString(), champion: '1' } });
    expect(state.champion).toBe('1');
    expect(kinds(history)).toEqual(['gate:1', 'gate:2', 'promote:1']);
  });

  it('when a request finished a move another left cut short and is sent again, then it is found and walks back no further', async () => {
    const { registry, state, history } = memoryRegistry(['1', '2', '3']);
    state.cutAfterHistory = true;
    await expect(rollback(registry, ask('plain nats request'), at(10))).rejects.toThrow('crashed');
    await rollback(registry, ask('ana', 'r-5'), at(11)); // finishes it: 3 → 2
    const again = await rollback(registry, ask('ana', 'r-5'), at(12));
    expect(replyOf(again)).toMatchObject({ version: '2', previous_version: '3', repeat_of: { champion: '2' } });
    expect(state.champion).toBe('2');
    expect(kinds(history)).toEqual(['gate:1', 'gate:2', 'gate:3', 'rollback:2', 'rollback:2']);
  });

  it('when another request comes under a used id, then it is refused and nothing moves', async () => {
    const { registry, state, history } = memoryRegistry(['1', '2', '3']);
    await rollback(registry, ask('ana', 'x-1'), at(10));
    const other = await promote(registry, { ...ask('ana', 'x-1'), version: '1' }, at(11));
    expect(other).toEqual({
      status: 'rejected',
      errors: [
        {
          path: 'request_id',
          message: `"x-1" was already used by a rollback to v2 at ${at(10).toISOString()}: send a new id`,
        },
      ],
    });
    expect(state.champion).toBe('2');
    expect(kinds(history)).toEqual(['gate:1', 'gate:2', 'gate:3', 'rollback:2']);
  });

  it('when rollbacks come without an id or with new ids, then each walks back one more step', async () => {
    const { registry, state } = memoryRegistry(['1', '2', '3']);
    await rollback(registry, ask('ana'), at(10));
    await rollback(registry, ask('ana'), at(11));
    expect(state.champion).toBe('1');
    const withIds = memoryRegistry(['1', '2', '3']);
    await rollback(withIds.registry, ask('ana', 'a'), at(10));
    await rollback(withIds.registry, ask('ana', 'b'), at(11));
    expect(withIds.state.champion).toBe('1');
  });
});
