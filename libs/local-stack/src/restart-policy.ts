import { LocalStackError } from './errors.js';

/** The current time in ms since the epoch; injected so that tests move time by hand. */
export type Clock = () => number;

/** How a process that exits on its own is restarted, and when restarting stops (a crash loop). */
export interface RestartPolicyOptions {
  /** Wait before the restart after a first exit. @defaultValue 500 */
  readonly initialDelayMs?: number | undefined;
  /** Each further exit within the window multiplies the wait by this. @defaultValue 2 */
  readonly factor?: number | undefined;
  /** The wait never grows beyond this. @defaultValue 10000 */
  readonly maxDelayMs?: number | undefined;
  /** This many exits within `crashLoopWindowMs` is a crash loop: no restart any more. @defaultValue 5 */
  readonly crashLoopExits?: number | undefined;
  /** @defaultValue 60000 */
  readonly crashLoopWindowMs?: number | undefined;
}

/** The policy's answer to one exit: restart after a wait, or give up (a crash loop). */
export type RestartDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly recentExits: number }
  | { readonly action: 'give-up'; readonly recentExits: number; readonly windowMs: number };

/** The defaults of {@link RestartPolicyOptions}: 0.5 s doubling to 10 s; 5 exits within 60 s is a crash loop. */
export const DEFAULT_RESTART_POLICY: Required<{ [K in keyof RestartPolicyOptions]: number }> = {
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 10_000,
  crashLoopExits: 5,
  crashLoopWindowMs: 60_000,
};

/**
 * Exponential backoff over the exits of one process within a sliding window: the n-th exit within the window waits
 * `initialDelayMs · factor^(n-1)` (at most `maxDelayMs`), the `crashLoopExits`-th gives up. A process that stays up
 * longer than the window starts again from the initial wait. Pure apart from the injected clock.
 */
export class RestartPolicy {
  private readonly options: typeof DEFAULT_RESTART_POLICY;
  private exits: number[] = [];

  constructor(
    options: RestartPolicyOptions = {},
    private readonly clock: Clock = Date.now,
  ) {
    this.options = resolveOptions(options);
  }

  /** Failed restarts in a row (never ready, each costing its readiness wait) that also count as a crash loop. */
  get crashLoopExits(): number {
    return this.options.crashLoopExits;
  }

  /** Records an exit that happened now and says what to do about it. */
  onExit(): RestartDecision {
    const now = this.clock();
    const { crashLoopWindowMs: windowMs, crashLoopExits } = this.options;
    this.exits = [...this.exits.filter((at) => now - at < windowMs), now];
    const recentExits = this.exits.length;
    if (recentExits >= crashLoopExits) return { action: 'give-up', recentExits, windowMs };
    return { action: 'restart', delayMs: this.delayAfter(recentExits), recentExits };
  }

  private delayAfter(recentExits: number): number {
    const { initialDelayMs, factor, maxDelayMs } = this.options;
    return Math.min(maxDelayMs, initialDelayMs * factor ** (recentExits - 1));
  }
}

function resolveOptions(options: RestartPolicyOptions): typeof DEFAULT_RESTART_POLICY {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const resolved = { ...DEFAULT_RESTART_POLICY, ...defined };
  const bad = Object.entries(resolved).filter(([, value]) => !Number.isFinite(value) || value < 0);
  if (bad.length > 0) throw new LocalStackError(`restart policy: ${bad.map(([k]) => k).join(', ')} must be ≥ 0`);
  if (resolved.factor < 1 || resolved.crashLoopExits < 1) {
    throw new LocalStackError('restart policy: factor must be ≥ 1 and crashLoopExits ≥ 1');
  }
  return resolved;
}
