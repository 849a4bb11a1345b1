import type { EventData } from '@mlops/contracts';

/** A `model.registered` of `name` version `version` as the champion (what the tracker announces after a promotion). */
export function championRegistered(name: string, version: string): EventData<'model.registered'> {
  return {
    tuning_id: 't',
    trial_id: 't-000',
    name,
    version,
    alias: 'champion',
    run_id: 'r',
    model_uri: `models:/${name}/${version}`,
    source_uri: 's',
    metric: { name: 'accuracy' as const, value: 1 },
    registered_at: new Date().toISOString(),
  };
}
