/** How long something may be waited for: `ms` and `polls` polls `everyMs` apart, both spent; never past `atMostMs`. */
export interface Patience {
  readonly ms: number;
  readonly polls: number;
  readonly everyMs: number;
  readonly atMostMs: number;
}

/**
 * Polls `pending` until it is false; gives up once both the time and the polls are spent (so that a stalled event
 * loop, a fit in the same process or a long collection, cannot use the wait up before the consumers had a turn to
 * read what arrived meanwhile), or at `atMostMs` whatever the polls. Resolves true when nothing is pending any more.
 */
export async function waitPatiently(pending: () => boolean, patience: Patience, now: () => number): Promise<boolean> {
  const started = now();
  for (let polls = 0; pending(); polls++) {
    const elapsed = now() - started;
    if (elapsed >= patience.atMostMs || (polls >= patience.polls && elapsed >= patience.ms)) return false;
    await new Promise((resolve) => setTimeout(resolve, patience.everyMs));
  }
  return true;
}
