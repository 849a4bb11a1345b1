import { tagEquals } from './filters.js';
import type { Transport } from './http.js';
import { findOrCreate, type IdempotencyTag, tagsWithKey } from './keyed-create.js';
import {
  type Metric,
  metricFromWire,
  type Run,
  type RunInfo,
  type RunStatus,
  runFromWire,
  runInfoFromWire,
  type WireMetric,
  type WireRun,
  type WireRunInfo,
} from './run-types.js';
import { recordToWire } from './wire.js';

/** The system tag that nests a run under its parent in the UI. */
export const PARENT_RUN_ID_TAG = 'mlflow.parentRunId';

/** Input of `createRun`. */
export interface CreateRunInput {
  readonly experimentId: string;
  readonly runName?: string;
  /** ms since epoch. @defaultValue Date.now() */
  readonly startTime?: number;
  readonly tags?: Readonly<Record<string, string>>;
  /** Sets the `mlflow.parentRunId` tag. */
  readonly parentRunId?: string;
  /**
   * Written as a tag; makes the create idempotent: the earliest active run of the experiment with this tag is
   * returned instead of creating another, also when an attempt's answer was lost (then the create is retried safely).
   */
  readonly idempotencyTag?: IdempotencyTag;
}

/** Input of `updateRun`; end a run with `{ runId, status: 'FINISHED', endTime }`. */
export interface UpdateRunInput {
  readonly runId: string;
  readonly status?: RunStatus;
  readonly endTime?: number;
  readonly runName?: string;
}

/** `ACTIVE_ONLY` (default), `DELETED_ONLY` or `ALL`. */
export type RunViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** Query of `searchRuns` (filter grammar: `AND` only, e.g. `tags.\`mlflow.parentRunId\` = '<id>'`). */
export interface SearchRunsQuery {
  readonly experimentIds: readonly string[];
  readonly filter?: string;
  /** e.g. `['attributes.start_time DESC']` */
  readonly orderBy?: readonly string[];
  /** Page size, ≤ 50000. @defaultValue 1000 (server) */
  readonly maxResults?: number;
  readonly pageToken?: string;
  readonly runViewType?: RunViewType;
}

/** One page of runs. */
export interface RunsPage {
  readonly runs: readonly Run[];
  readonly nextPageToken?: string | undefined;
}

/** Run lifecycle and lookup calls. */
export interface RunsApi {
  /** With `idempotencyTag`: find-or-create, retried safely. Without: every call makes a new run, not re-sent once sent. */
  createRun(input: CreateRunInput): Promise<Run>;
  /** Idempotent. */
  updateRun(input: UpdateRunInput): Promise<RunInfo>;
  /** Throws MlflowApiError RESOURCE_DOES_NOT_EXIST for an unknown id. */
  getRun(runId: string): Promise<Run>;
  searchRuns(query: SearchRunsQuery): Promise<RunsPage>;
  /** Walks every page of a search. */
  iterateRuns(query: Omit<SearchRunsQuery, 'pageToken'>): AsyncIterable<Run>;
  /** The earliest-started active run with tag `key` = `value`, or null (the idempotency lookup for `createRun`). */
  findRunByTag(experimentId: string, key: string, value: string): Promise<Run | null>;
  /** Idempotent (overwrites). */
  setTag(runId: string, key: string, value: string): Promise<void>;
  /** Soft delete; idempotent. */
  deleteRun(runId: string): Promise<void>;
  /** Every logged point of one metric (all pages). */
  getMetricHistory(runId: string, key: string): Promise<Metric[]>;
}

/** Builds the run calls on a transport. */
export function runsApi(http: Transport): RunsApi {
  const searchRuns: RunsApi['searchRuns'] = async (query) => {
    const answer = await http.api<{ runs?: WireRun[]; next_page_token?: string }>('read', 'POST', 'runs/search', {
      experiment_ids: query.experimentIds,
      filter: query.filter,
      order_by: query.orderBy,
      max_results: query.maxResults,
      page_token: query.pageToken,
      run_view_type: query.runViewType,
    });
    return { runs: (answer.runs ?? []).map(runFromWire), nextPageToken: answer.next_page_token };
  };
  const findRunByTag: RunsApi['findRunByTag'] = async (experimentId, key, value) => {
    const page = await searchRuns({
      experimentIds: [experimentId],
      filter: tagEquals(key, value),
      orderBy: ['attributes.start_time ASC'],
      maxResults: 1,
    });
    return page.runs[0] ?? null;
  };
  return {
    async createRun(input) {
      const payload = createRunBody(input);
      const key = input.idempotencyTag;
      if (key === undefined) {
        return runFromWire((await http.api<{ run: WireRun }>('non-idempotent', 'POST', 'runs/create', payload)).run);
      }
      return findOrCreate(
        http,
        { endpoint: 'runs/create', payload },
        () => findRunByTag(input.experimentId, key.key, key.value),
        (answer: { run: WireRun }) => runFromWire(answer.run),
        key,
      );
    },
    async updateRun(input) {
      const answer = await http.api<{ run_info: WireRunInfo }>('idempotent-write', 'POST', 'runs/update', {
        run_id: input.runId,
        status: input.status,
        end_time: input.endTime,
        run_name: input.runName,
      });
      return runInfoFromWire(answer.run_info);
    },
    async getRun(runId) {
      return runFromWire((await http.api<{ run: WireRun }>('read', 'GET', 'runs/get', { run_id: runId })).run);
    },
    searchRuns,
    iterateRuns: (query) => iteratePages(searchRuns, query),
    findRunByTag,
    async setTag(runId, key, value) {
      await http.api('idempotent-write', 'POST', 'runs/set-tag', { run_id: runId, key, value });
    },
    async deleteRun(runId) {
      await http.api('idempotent-write', 'POST', 'runs/delete', { run_id: runId });
    },
    async getMetricHistory(runId, key) {
      const points: Metric[] = [];
      let pageToken: string | undefined;
      do {
        const query = { run_id: runId, metric_key: key, page_token: pageToken };
        const answer = await http.api<{ metrics?: WireMetric[]; next_page_token?: string }>(
          'read',
          'GET',
          'metrics/get-history',
          query,
        );
        points.push(...(answer.metrics ?? []).map(metricFromWire));
        pageToken = answer.next_page_token || undefined;
      } while (pageToken !== undefined);
      return points;
    },
  };
}

function createRunBody(input: CreateRunInput): object {
  const tags = {
    ...input.tags,
    ...(input.parentRunId === undefined ? {} : { [PARENT_RUN_ID_TAG]: input.parentRunId }),
  };
  return {
    experiment_id: input.experimentId,
    run_name: input.runName,
    start_time: input.startTime ?? Date.now(),
    tags: recordToWire(input.idempotencyTag === undefined ? tags : tagsWithKey(tags, input.idempotencyTag)),
  };
}

async function* iteratePages(
  search: RunsApi['searchRuns'],
  query: Omit<SearchRunsQuery, 'pageToken'>,
): AsyncGenerator<Run> {
  let pageToken: string | undefined;
  do {
    const page = await search(pageToken === undefined ? query : { ...query, pageToken });
    yield* page.runs;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined && pageToken !== '');
}
