/** How long something may be waited for: at least `ms`, and at least `polls` polls `everyMs` apart. */
export interface Patience {
  readonly ms: number;
  readonly polls: number;
  readonly everyMs: number;
}

/**
 * Polls `pending` until it is false; gives up only once both the time and the polls are spent, so that a stalled
 * event loop (a fit in the same process, a long collection) cannot use the whole wait up before the consumers had
 * a turn to read what arrived meanwhile. Resolves true when nothing is pending any more.
 */
export async function waitPatiently(pending: () => boolean, patience: Patience, now: () => number): Promise<boolean> {
  const deadline = now() + patience.ms;
  for (let polls = 0; pending(); polls++) {
    if (polls >= patience.polls && now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, patience.everyMs));
  }
  return true;
}
