import type { Logger } from '@mlops/service-kit';
import type { ChampionSource } from './ports.js';

/**
 * Re-reads the champion alias from MLflow: quickly (1 s doubling to the poll interval) while no model is served,
 * e.g. when MLflow was unreachable at start, then every poll interval as a safety net beside model events.
 */
export class ChampionWatch {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  /** Why no model could be read last time, for readiness reports; undefined after a good read. */
  problem: string | undefined;

  constructor(
    private readonly source: ChampionSource,
    private readonly pollIntervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Checks once (awaited, so a reachable registry means a loaded model), then keeps checking in the background. */
  async start(): Promise<void> {
    await this.check('start');
    this.schedule();
  }

  /** Stops checking; a check in flight finishes on its own. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.source.hasModel()
      ? this.pollIntervalMs
      : Math.min(this.pollIntervalMs, 1000 * 2 ** Math.min(this.failures, 5));
    this.timer = setTimeout(() => {
      void this.check('poll').then(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  private async check(reason: string): Promise<void> {
    try {
      const version = await this.source.follow(reason);
      this.failures = 0;
      this.problem = version === null ? 'no version carries the alias yet: run a tuning' : undefined;
    } catch (err) {
      this.failures++;
      this.problem = `cannot read the alias from MLflow: ${(err as Error).message}`;
      this.logger.warn({ err, reason, failures: this.failures }, 'could not read the champion alias from MLflow');
    }
  }
}
