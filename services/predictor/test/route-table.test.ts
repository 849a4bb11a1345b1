import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/entry-points/openapi.js';
import { ROUTES, type ScoringKind } from '../src/entry-points/route-table.js';
import { matchRoute } from '../src/entry-points/routes.js';
import { call, fittedModel, startTestServer, type TestServer } from './support/harness.js';

const served = fittedModel();
const row = Array.from({ length: 20 }, (_, j) => j / 7);
const SCORING_BODIES: Record<ScoringKind, unknown> = {
  predict: { features: [row] },
  invocations: { instances: [row] },
  infer: { inputs: [{ name: 'x', shape: [1, 20], datatype: 'FP64', data: row }] },
};
const ASSET = 'swagger-ui.css';
const concrete = (path: string) =>
  path.replace('{name}', served.name).replace('{version}', served.version).replace('{asset}', ASSET);

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ model: served });
});
afterAll(async () => {
  await t.close();
});

describe('the route table', () => {
  it('when its paths are listed, then each appears once', () => {
    const paths = ROUTES.map((route) => route.path);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('when each route is classified, then the matcher gives its template, access class, scoring kind and params', () => {
    for (const route of ROUTES) {
      const match = matchRoute(route.method, concrete(route.path));
      expect(match.endpoint, route.path).toBe(route.path);
      expect(match.access, route.path).toBe(route.access);
      expect(match.scoring, route.path).toBe('scoring' in route ? route.scoring : undefined);
      expect(match.forward, route.path).toBe('forward' in route ? route.forward : undefined);
      expect(match.allowed, route.path).toBeUndefined();
      expect(match.params.name, route.path).toBe(route.path.includes('{name}') ? served.name : undefined);
      expect(match.params.version, route.path).toBe(route.path.includes('{version}') ? served.version : undefined);
      expect(match.params.asset, route.path).toBe(route.path.includes('{asset}') ? ASSET : undefined);
    }
    expect(matchRoute('GET', '/v2/models/a%20b/versions/2').params).toEqual({ name: 'a b', version: '2' });
  });

  it('when each GET route is called, then the express read app answers it (200, not its 404 fallback)', async () => {
    for (const route of ROUTES.filter((r) => r.method === 'GET')) {
      const answer = await call(t.base, 'GET', concrete(route.path));
      expect(answer.status, route.path).toBe(200);
    }
  });

  it('when each scoring route is called with one row, then the fast path scores it', async () => {
    for (const route of ROUTES.filter((r) => 'scoring' in r)) {
      const answer = await call(t.base, 'POST', concrete(route.path), JSON.stringify(SCORING_BODIES[route.scoring]));
      expect(answer.status, route.path).toBe(200);
    }
  });

  it('when the OpenAPI document is built, then it documents exactly the routes of the table, in its order', () => {
    const doc = buildOpenApiDocument();
    expect(Object.keys(doc.paths)).toEqual(ROUTES.map((route) => route.path));
    for (const route of ROUTES) {
      const item = doc.paths[route.path] as Record<string, { summary?: string; security?: unknown } | undefined>;
      const operation = item[route.method.toLowerCase()];
      expect(operation?.summary, route.path).toBe(route.summary);
      expect(operation?.security !== undefined, route.path).toBe(route.access !== 'public');
    }
  });
});
