import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/entry-points/openapi.js';
import { call, fittedModel, startTestServer, type TestServer } from './support/harness.js';

/** Where npm installed swagger-ui-dist for the predictor (the files /docs must serve, byte for byte). */
const UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const started = async (options: Parameters<typeof startTestServer>[0] = {}) => {
  t = await startTestServer({ model: fittedModel(), ...options });
  return t;
};

/** The URLs of every src= and href= of the page, resolved as a browser would against the page's own URL. */
const referenced = (html: string, page: string) =>
  Array.from(html.matchAll(/\s(?:src|href)="([^"]*)"/g), (found) => new URL(found[1] as string, page));

describe('GET /docs', () => {
  it('when asked for, then it is an HTML page with a strict content-security policy and no inline script or style', async () => {
    const { base } = await started();
    const page = await call(base, 'GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = (page.headers.get('content-security-policy') ?? '').split(/;\s*/);
    expect(csp).toEqual(
      expect.arrayContaining([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
      ]),
    );
    expect(csp.join(';')).not.toMatch(/unsafe-|https?:|\*/);
    expect(page.text).toMatch(/^<!doctype html>/);
    expect(page.text).toContain('<div id="swagger-ui"></div>');
    expect(page.text).not.toMatch(/<style|\sstyle=|\son\w+=/i);
    const scripts = Array.from(page.text.matchAll(/<script([^>]*)>([^<]*)<\/script>/g));
    expect(scripts.length).toBe(2);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/^ src="docs\/[\w.-]+\?v=\w+"$/);
      expect(body).toBe('');
    }
  });

  it('when every file the page references is fetched, then the predictor serves each itself, with 200 and its type', async () => {
    const { base } = await started();
    const page = `${base}/docs`;
    const html = (await call(base, 'GET', '/docs')).text;
    expect(html).not.toMatch(/https?:\/\//);
    const urls = referenced(html, page);
    expect(urls.map((url) => url.pathname).sort()).toEqual([
      '/docs/favicon-32x32.png',
      '/docs/index.css',
      '/docs/init.js',
      '/docs/swagger-ui-bundle.js',
      '/docs/swagger-ui.css',
      '/openapi.json',
    ]);
    const types: Record<string, RegExp> = { js: /^text\/javascript/, css: /^text\/css/, png: /^image\/png$/ };
    for (const url of urls) {
      expect(url.origin, url.href).toBe(base);
      const answer = await fetch(url);
      expect(answer.status, url.href).toBe(200);
      const extension = url.pathname.split('.').pop() ?? '';
      expect(answer.headers.get('content-type'), url.href).toMatch(types[extension] ?? /^application\/json/);
      await answer.arrayBuffer();
    }
  });

  it('when the Swagger UI files are served, then they are the installed swagger-ui-dist files, cached for good', async () => {
    const { base } = await started();
    const html = (await call(base, 'GET', '/docs')).text;
    for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css', 'index.css', 'favicon-32x32.png']) {
      const url = referenced(html, `${base}/docs`).find((u) => u.pathname === `/docs/${name}`);
      expect(url?.searchParams.get('v'), name).toMatch(/^[0-9a-f]{12}$/);
      const answer = await fetch(url ?? '');
      expect(Buffer.from(await answer.arrayBuffer()).equals(readFileSync(join(UI_DIR, name))), name).toBe(true);
      expect(answer.headers.get('cache-control'), name).toBe('public, max-age=31536000, immutable');
      expect(answer.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(answer.headers.get('etag'), name).toMatch(/^"[\w-]{27}"$/);
    }
  });

  it('when the page script is read, then it loads this origin’s document and calls no other host', async () => {
    const { base } = await started();
    const init = await call(base, 'GET', '/docs/init.js');
    expect(init.text).toContain("new URL('openapi.json', document.baseURI)");
    expect(init.text).toContain('validatorUrl: null');
    expect(init.text).not.toMatch(/https?:/);
  });

  it('when a file is asked for without the page’s tag, or again with its ETag, then it is revalidated, not re-sent', async () => {
    const { base } = await started();
    const plain = await call(base, 'GET', '/docs/swagger-ui.css');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    const etag = plain.headers.get('etag') ?? '';
    // As a browser revalidates (fetch() would add `cache-control: no-cache`, which asks for the full file).
    const revalidate = { 'if-none-match': etag, 'cache-control': 'max-age=0' };
    const again = await call(base, 'GET', '/docs/swagger-ui.css?v=old', undefined, revalidate);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const head = await fetch(`${base}/docs/swagger-ui-bundle.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(readFileSync(join(UI_DIR, 'swagger-ui-bundle.js')).length);
  });

  it('when a name outside the page’s files is asked for, then it answers 404 (no other file of the package or disk)', async () => {
    const { base } = await started();
    for (const path of [
      '/docs/package.json',
      '/docs/swagger-initializer.js',
      '/docs/index.html',
      '/docs/..%2Fpackage.json',
      '/docs/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/docs/constructor',
      '/docs/swagger-ui.css/x',
    ]) {
      const answer = await call(base, 'GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.json?.error?.code, path).toBe('NOT_FOUND');
    }
  });

  it('when /docs/ is asked for (trailing slash), then it is sent to /docs rather than served a page whose relative links break', async () => {
    const { base } = await started({
      auth: { tokens: ['docs-secret-token-16'], protectHealth: false, protectMetrics: false },
    });
    const redirected = (path: string, method = 'GET') => fetch(`${base}${path}`, { method, redirect: 'manual' });
    const slashed = await redirected('/docs/?x=1');
    expect([slashed.status, slashed.headers.get('location')]).toEqual([308, '/docs?x=1']);
    expect((await call(base, 'GET', '/docs/')).text).toContain('swagger-ui');
    // A protected route is only pointed at: its own path still asks for the token.
    const model = await redirected('/model/');
    expect([model.status, model.headers.get('location')]).toEqual([308, '/model']);
    expect((await call(base, 'GET', '/model/')).status).toBe(401);
    // Not a read route, or no route at all: still 404 (nothing is posted to another path).
    for (const [path, method] of [
      ['/predict/', 'POST'],
      ['/nothing/', 'GET'],
      ['//', 'GET'],
    ] as const) {
      expect((await redirected(path, method)).status, `${method} ${path}`).toBe(404);
    }
    const html = (await call(base, 'GET', '/docs')).text;
    const urls = referenced(html, `${base}/docs`);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect((await fetch(url)).status, url.href).toBe(200);
  });

  it('when bearer tokens are configured, then the page and its files stay open while /predict needs a token', async () => {
    const { base } = await started({ auth: { tokens: ['docs-secret'], protectHealth: true, protectMetrics: true } });
    const html = (await call(base, 'GET', '/docs')).text;
    for (const url of referenced(html, `${base}/docs`)) expect((await fetch(url)).status, url.href).toBe(200);
    const body = JSON.stringify({ features: [Array(20).fill(0)] });
    expect((await call(base, 'POST', '/predict', body)).status).toBe(401);
    const authorized = { 'content-type': 'application/json', authorization: 'Bearer docs-secret' };
    expect((await call(base, 'POST', '/predict', body, authorized)).status).toBe(200);
  });

  it('when the document is read, then it declares the bearer scheme the page’s Authorize button offers for /predict', () => {
    const doc = buildOpenApiDocument();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/predict']).toMatchObject({ post: { security: [{ bearerAuth: [] }, {}] } });
    expect(doc.paths['/docs']).toMatchObject({ get: { responses: { '200': { content: { 'text/html': {} } } } } });
    expect(doc.paths['/docs']).not.toHaveProperty('get.security');
    expect(doc.paths['/docs/{asset}']).not.toHaveProperty('get.security');
  });
});
