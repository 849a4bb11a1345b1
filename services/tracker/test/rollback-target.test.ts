import { describe, expect, it } from 'vitest';
import { rollbackTarget } from '../src/domain/champion-control.js';
import type { ChampionMove } from '../src/domain/ports.js';

const move = (kind: ChampionMove['kind'], version: string, previous: string | null): ChampionMove => ({
  kind,
  version,
  previous,
  reason: 'test',
  by: 'test',
  at: '2026-12-03T00:00:00.000Z',
});
const gates = [move('gate', '4', null), move('gate', '5', '4'), move('gate', '6', '5')];

describe('rollbackTarget', () => {
  it('when the history ends at the champion, then rollbacks walk back one at a time', () => {
    expect(rollbackTarget(gates, '6')).toBe('5');
    expect(rollbackTarget([...gates, move('rollback', '5', '6')], '5')).toBe('4');
    expect(rollbackTarget([move('gate', '4', null)], '4')).toBeUndefined();
  });

  it('when a promotion was cut short after its history entry, then rollbacks go back from the champion of now, and keep going back', () => {
    const cut = [...gates, move('promote', '7', '6')];
    expect(rollbackTarget(cut, '6')).toBe('5');
    expect(rollbackTarget([...cut, move('rollback', '5', '6')], '5')).toBe('4');
  });

  it('when a rollback was cut short after its history entry, then the retried rollback finishes it instead of going further', () => {
    expect(rollbackTarget([...gates, move('rollback', '5', '6')], '6')).toBe('5');
  });
});
