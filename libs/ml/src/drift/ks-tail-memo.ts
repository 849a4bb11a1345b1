/** Tail probabilities kept in all before the memo starts over (a bound on memory, ~40 bytes each). */
const MAX_ENTRIES = 262_144;

/**
 * Remembers exact two-sample KS tail probabilities P(D ≥ h/lcm(n1, n2)), a function of (n1, n2, h) only. A monitor
 * compares windows of one size with one reference sample, so the same few hundred values of h come back window after
 * window, and each lattice-path count (up to a millisecond) is done once. The caller owns it (one per prepared
 * reference); a result with the memo is the same number as without.
 */
export class KsTailMemo {
  private readonly tables = new Map<number, Map<number, number>>();
  private entries = 0;

  /** The tail for (n1, n2, h): remembered, or computed now by `compute` and remembered. */
  tail(n1: number, n2: number, h: number, compute: () => number): number {
    if (this.entries >= MAX_ENTRIES) {
      this.tables.clear();
      this.entries = 0;
    }
    const sizes = n1 * 1_000_003 + n2;
    let table = this.tables.get(sizes);
    if (table === undefined) {
      table = new Map();
      this.tables.set(sizes, table);
    }
    const known = table.get(h);
    if (known !== undefined) return known;
    const value = compute();
    table.set(h, value);
    this.entries++;
    return value;
  }

  /** Tail probabilities held now, over every pair of sizes. */
  get size(): number {
    return this.entries;
  }
}
