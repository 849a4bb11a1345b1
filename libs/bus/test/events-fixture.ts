import type { EventData } from '@mlops/contracts';

/** A small valid event for bus tests: a predictor failing to load version `version` of model m. */
export function loadFailed(version: string): EventData<'model.load_failed'> {
  return {
    name: 'm',
    version,
    alias: 'champion',
    instance: 'p-1',
    reason: 'corrupt weights',
    serving_version: null,
    failed_at: new Date().toISOString(),
  };
}
