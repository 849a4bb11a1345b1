import type { Logger } from '@mlops/service-kit';
import type { LoadModel, ReloadObserver } from './ports.js';
import type { ModelSlot } from './served-model.js';

/** Loads versions off the request path and swaps them in; one load at a time, stale versions skipped. */
export class ModelReloader {
  private queue: Promise<void> = Promise.resolve();
  /** Why the last load failed (cleared by the next success), for readiness reports. */
  lastFailure: string | undefined;

  constructor(
    private readonly slot: ModelSlot,
    private readonly load: LoadModel,
    private readonly logger: Logger,
    private readonly observer?: ReloadObserver,
  ) {}

  /** Loads `version` unless the served one is as new; a failed load keeps the current model serving. */
  offer(version: string, reason: string): Promise<void> {
    this.queue = this.queue.then(() => this.loadAndSwap(version, reason));
    return this.queue;
  }

  private async loadAndSwap(version: string, reason: string): Promise<void> {
    if (this.slot.isStale(Number(version))) return;
    try {
      const model = await this.load(version);
      this.lastFailure = undefined;
      if (this.slot.offer(model)) {
        this.observer?.loaded(model);
        this.logger.info({ model: model.name, version, run_id: model.runId, reason }, 'model loaded and swapped in');
      }
    } catch (err) {
      this.lastFailure = `version ${version} failed to load: ${(err as Error).message}`;
      this.observer?.failed(version, err);
      this.logger.error({ err, version, reason }, 'model load failed: keeping the current model');
    }
  }
}
