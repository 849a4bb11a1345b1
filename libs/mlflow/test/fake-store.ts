// An in-memory stand-in for the few MLflow endpoints the retry tests touch (unit tests of error paths only).

type Wire = Record<string, unknown>;
type KeyValue = { key: string; value: string };

/** A fake answer: status and JSON body. */
export interface FakeAnswer {
  readonly status: number;
  readonly json: unknown;
}

/** One request as the fake sees it: JSON body for writes, query for GETs. */
export interface FakeRequest {
  readonly body: Wire;
  readonly query: URLSearchParams;
}

/** What the fake tracking server holds; tests count these to prove nothing was created twice. */
export interface FakeStore {
  readonly runs: {
    info: Wire & { run_id: string; experiment_id: string };
    data: { tags: KeyValue[] };
    outputs: Wire;
  }[];
  readonly loggedModels: { info: Wire & { experiment_id: string; tags: KeyValue[] } }[];
  readonly versions: (Wire & { name: string; tags: KeyValue[] })[];
  readonly registeredModels: { name: string }[];
  readonly experiments: { experiment_id: string; name: string; lifecycle_stage: string }[];
}

/** The routes by `METHOD endpoint` (below `/api/2.0/mlflow/`), each applying the request to `store`. */
export function fakeRoutes(store: FakeStore): Record<string, (req: FakeRequest) => FakeAnswer> {
  return {
    'POST runs/create': ({ body }) => {
      const info = {
        run_id: `r${store.runs.length + 1}`,
        experiment_id: String(body.experiment_id),
        status: 'RUNNING',
      };
      const run = { info, data: { tags: (body.tags ?? []) as KeyValue[] }, outputs: { model_outputs: [] } };
      store.runs.push(run);
      return ok({ run });
    },
    'POST runs/search': ({ body }) =>
      ok({ runs: store.runs.filter((r) => matches(String(body.filter), { tags: r.data.tags })) }),
    'GET runs/get': ({ query }) => found({ run: store.runs.find((r) => r.info.run_id === query.get('run_id')) }),
    'POST runs/set-tag': () => ok({}),
    'POST runs/outputs': ({ body }) => logOutputs(store, body),
    'POST logged-models': ({ body }) => {
      const tags = (body.tags ?? []) as KeyValue[];
      const info = { model_id: `m-${store.loggedModels.length + 1}`, experiment_id: String(body.experiment_id), tags };
      store.loggedModels.push({ info });
      return ok({ model: { info } });
    },
    'POST logged-models/search': ({ body }) =>
      ok({ models: store.loggedModels.filter((m) => matches(String(body.filter), { tags: m.info.tags })) }),
    'POST model-versions/create': ({ body }) => {
      const version = { name: String(body.name), version: String(store.versions.length + 1), status: 'READY' };
      const created = { ...version, source: body.source, tags: (body.tags ?? []) as KeyValue[] };
      store.versions.push(created);
      return ok({ model_version: created });
    },
    'GET model-versions/search': ({ query }) =>
      ok({ model_versions: store.versions.filter((v) => matches(query.get('filter') ?? '', v)) }),
    'GET registered-models/get': ({ query }) =>
      found({ registered_model: store.registeredModels.find((m) => m.name === query.get('name')) }),
    'POST registered-models/create': ({ body }) => {
      if (store.registeredModels.some((m) => m.name === body.name)) return error(400, 'RESOURCE_ALREADY_EXISTS');
      store.registeredModels.push({ name: String(body.name) });
      return ok({ registered_model: { name: body.name } });
    },
    'GET experiments/get-by-name': ({ query }) =>
      found({ experiment: store.experiments.find((e) => e.name === query.get('experiment_name')) }),
    'GET experiments/get': ({ query }) =>
      found({ experiment: store.experiments.find((e) => e.experiment_id === query.get('experiment_id')) }),
    'POST experiments/create': ({ body }) => {
      if (store.experiments.some((e) => e.name === body.name)) return error(400, 'RESOURCE_ALREADY_EXISTS');
      const experiment_id = String(store.experiments.length + 1);
      store.experiments.push({ experiment_id, name: String(body.name), lifecycle_stage: 'active' });
      return ok({ experiment_id });
    },
  };
}

/** An empty store. */
export function emptyStore(): FakeStore {
  return { runs: [], loggedModels: [], versions: [], registeredModels: [], experiments: [] };
}

/** An MLflow-shaped error answer. */
export function error(status: number, errorCode: string): FakeAnswer {
  return { status, json: { error_code: errorCode, message: `fake ${status}` } };
}

function logOutputs(store: FakeStore, body: Wire): FakeAnswer {
  const run = store.runs.find((r) => r.info.run_id === body.run_id);
  if (run === undefined) return error(404, 'RESOURCE_DOES_NOT_EXIST');
  const existing = run.outputs.model_outputs as Wire[];
  const added = body.models as Wire[];
  // As MLflow's primary key (run, model): a repeat is refused.
  if (added.some((m) => existing.some((e) => e.model_id === m.model_id))) return error(400, 'BAD_REQUEST');
  existing.push(...added);
  return ok({});
}

/** `tags.\`k\` = 'v'` and `name = 'x'` terms of an MLflow filter, all of which must hold. */
function matches(filter: string, resource: { tags: KeyValue[]; name?: string }): boolean {
  const terms = [...filter.matchAll(/(tags\.`([^`]+)`|name) = ['"]([^'"]*)['"]/g)];
  return terms.every(([, field, tag, value]) =>
    field === 'name' ? resource.name === value : resource.tags.some((t) => t.key === tag && t.value === value),
  );
}

function ok(json: unknown): FakeAnswer {
  return { status: 200, json };
}

function found(json: Record<string, unknown>): FakeAnswer {
  return Object.values(json)[0] === undefined ? error(404, 'RESOURCE_DOES_NOT_EXIST') : ok(json);
}
