import type { Logger } from '@mlops/service-kit';
import type { LoadModel, ReloadObserver } from './ports.js';
import type { ModelSlot } from './served-model.js';

/**
 * Loads versions off the request path and swaps them in, one at a time. `follow` reads the alias inside the queue,
 * so events that arrive twice, late or out of order always end with the version the alias points at now.
 */
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

  /**
   * Reads where the alias points (when this load's turn comes) and serves that version; resolves with it, or null
   * when no version carries the alias. A failed load keeps the current model serving; a failed read throws.
   */
  follow(champion: () => Promise<string | null>, reason: string): Promise<string | null> {
    const step = this.queue.then(async () => {
      const version = await champion();
      if (version !== null) await this.loadAndSwap(version, reason);
      return version;
    });
    this.queue = step.then(
      () => undefined,
      () => undefined,
    );
    return step;
  }

  private async loadAndSwap(version: string, reason: string): Promise<void> {
    if (this.slot.isServing(version)) return;
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
