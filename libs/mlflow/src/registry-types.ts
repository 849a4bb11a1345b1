import { int64FromWire, recordFromWire, versionFields, type WireKeyValue } from './wire.js';

/** Registration states of a model version (the SQL store is READY at once; others may start PENDING). */
export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

/** A registered model version. */
export interface ModelVersion {
  readonly name: string;
  /** As on the wire, e.g. `"3"`. */
  readonly version: string;
  readonly versionNumber: number;
  /** `models:/m-…`, `runs:/…` or an artifact URI, as given at creation. */
  readonly source: string;
  readonly runId?: string | undefined;
  readonly runLink?: string | undefined;
  readonly status: ModelVersionStatus;
  readonly statusMessage?: string | undefined;
  readonly description?: string | undefined;
  readonly currentStage?: string | undefined;
  readonly creationTimestamp?: number | undefined;
  readonly lastUpdatedTimestamp?: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly aliases: readonly string[];
}

/** An alias pointing at a version. */
export interface ModelAlias {
  readonly alias: string;
  readonly version: string;
  readonly versionNumber: number;
}

/** A registered model. */
export interface RegisteredModel {
  readonly name: string;
  readonly description?: string | undefined;
  readonly creationTimestamp?: number | undefined;
  readonly lastUpdatedTimestamp?: number | undefined;
  readonly latestVersions: readonly ModelVersion[];
  readonly tags: Readonly<Record<string, string>>;
  readonly aliases: readonly ModelAlias[];
}

/** A model version on the wire. */
export interface WireModelVersion {
  name: string;
  version: string;
  source?: string;
  run_id?: string;
  run_link?: string;
  status?: ModelVersionStatus;
  status_message?: string;
  description?: string;
  current_stage?: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  tags?: WireKeyValue[];
  aliases?: string[];
}

/** A registered model on the wire. */
export interface WireRegisteredModel {
  name: string;
  description?: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  latest_versions?: WireModelVersion[];
  tags?: WireKeyValue[];
  aliases?: { alias: string; version: string }[];
}

/** Maps a wire model version (empty strings for run id and link become undefined). */
export function modelVersionFromWire(wire: WireModelVersion): ModelVersion {
  return {
    name: wire.name,
    ...versionFields(wire.version),
    source: wire.source ?? '',
    runId: wire.run_id || undefined,
    runLink: wire.run_link || undefined,
    status: wire.status ?? 'READY',
    statusMessage: wire.status_message || undefined,
    description: wire.description || undefined,
    currentStage: wire.current_stage,
    creationTimestamp: int64FromWire(wire.creation_timestamp),
    lastUpdatedTimestamp: int64FromWire(wire.last_updated_timestamp),
    tags: recordFromWire(wire.tags),
    aliases: wire.aliases ?? [],
  };
}

/** Maps a wire registered model. */
export function registeredModelFromWire(wire: WireRegisteredModel): RegisteredModel {
  return {
    name: wire.name,
    description: wire.description || undefined,
    creationTimestamp: int64FromWire(wire.creation_timestamp),
    lastUpdatedTimestamp: int64FromWire(wire.last_updated_timestamp),
    latestVersions: (wire.latest_versions ?? []).map(modelVersionFromWire),
    tags: recordFromWire(wire.tags),
    aliases: (wire.aliases ?? []).map((a) => ({ alias: a.alias, ...versionFields(a.version) })),
  };
}
