/**
 * Runs async work one at a time per key, in call order (different keys run side by side): when events are handled
 * side by side, two that would find-or-create the same entity (a trial's run.started and run.completed, two
 * deliveries of one tuning.completed) do it one after the other.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once every earlier call with `key` has settled; settles as `work` does. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
