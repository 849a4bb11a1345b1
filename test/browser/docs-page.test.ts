import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connectBus } from '@mlops/bus';
import { createMlflowClient } from '@mlops/mlflow';
import { createPredictor, loadConfig, type Predictor } from '@mlops/predictor';
import { createLogger } from '@mlops/service-kit';
import { registerTestModel, until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Browser, launchChromium } from './support/chromium.js';

// The predictor's /docs page in headless Chromium: Swagger UI renders the predictor's own OpenAPI document from files
// the predictor serves itself, and "Try it out" scores a row through the page, with a bearer token given to the
// page's Authorize button (the predictor requires one for /predict here).

const TOKEN = `docs-${randomUUID()}`;
const MODEL = `docs_${randomUUID().slice(0, 8)}`;
const FEATURES = Array.from({ length: 20 }, (_, j) => `x${j}`);
const ROW = [0.1, -1.2, 0.3, 0.4, 1.5, -0.6, 0.7, 0.8, -0.9, 1.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
/** Where the screenshot goes (data/ is not committed; docs/images/predictor-docs.png is a copy of one). */
const SCREENSHOT = new URL('../../test-results/predictor-docs.png', import.meta.url).pathname;
/** The POST /predict block of the rendered page. */
const PREDICT = `document.querySelector('.opblock-summary-path[data-path="/predict"]').closest('.opblock-post')`;

const logger = createLogger({ service: 'docs-test', level: 'silent' });
let predictor: Predictor | undefined;
let browser: Browser | undefined;
let base: string;

beforeAll(async () => {
  const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  const { experimentId } = await mlflow.getOrCreateExperiment(MODEL);
  await mlflow.getOrCreateRegisteredModel({ name: MODEL });
  const coef = FEATURES.map((_, j) => (j % 3) - 1);
  await registerTestModel(mlflow, {
    experimentId,
    name: MODEL,
    weights: { coef, intercept: 0.25, featureNames: FEATURES },
  });
  const config = loadConfig({
    NATS_URL: inject('natsUrl'),
    MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'),
    MODEL_NAME: MODEL,
    PREDICTOR_PORT: '0',
    PREDICTOR_MODEL_POLL_MS: '60000',
    PREDICTOR_AUTH_TOKENS: TOKEN,
    LOG_LEVEL: 'silent',
  });
  predictor = createPredictor(config, {
    bus: await connectBus({ servers: inject('natsUrl'), name: 'docs', logger }),
    logger,
  });
  await predictor.start();
  base = `http://127.0.0.1:${predictor.port}`;
  await until(
    'the model served',
    async () => ((await fetch(`${base}/ready`)).status === 200 ? true : undefined),
    60_000,
  );
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await predictor?.stop();
});

describe('the /docs page in headless Chromium', () => {
  it('when opened, then Swagger UI renders every route of the document, loading nothing but the predictor’s files', async () => {
    const page = await (browser as Browser).newPage();
    await page.goto(`${base}/docs`);
    await page.waitFor('the operations rendered', `document.querySelectorAll('.opblock').length > 0`);
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { info: { title: string }; paths: object };
    const rendered = await page.evaluate<string[]>(
      `[...document.querySelectorAll('.opblock-summary-path')].map((e) => e.getAttribute('data-path'))`,
    );
    expect(rendered).toEqual(Object.keys(doc.paths));
    const text = await page.evaluate<string>(`document.querySelector('#swagger-ui').innerText`);
    expect(text).toContain(doc.info.title);
    expect(text).toMatch(/POST\s+\/predict\s+Score rows/);
    expect(await page.evaluate(`document.querySelector('.auth-wrapper .btn.authorize').innerText`)).toBe('Authorize');

    const fetched = page.requests.filter((url) => !url.startsWith('data:')).map((url) => new URL(url));
    expect(fetched.filter((url) => url.origin !== base).map(String)).toEqual([]);
    expect(fetched.map((url) => url.pathname)).toEqual(
      expect.arrayContaining(['/docs', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/openapi.json']),
    );
    expect(await page.cspViolations()).toEqual([]);
    expect(page.problems).toEqual([]);
  }, 90_000);

  it('when a token is given to Authorize and POST /predict is tried out, then the page shows the predictor’s answer', async () => {
    const page = await (browser as Browser).newPage({ width: 1280, height: 1000 });
    await page.goto(`${base}/docs`);
    await page.waitFor('the Authorize button', `document.querySelector('.auth-wrapper .btn.authorize')`);
    await page.evaluate(`document.querySelector('.auth-wrapper .btn.authorize').click()`);
    await page.waitFor('the bearer field', `document.querySelector('.modal-ux input#auth-bearer-value')`);
    await page.evaluate(`document.querySelector('.modal-ux input#auth-bearer-value').focus()`);
    await page.type(TOKEN);
    await page.evaluate(`document.querySelector('.modal-ux .auth-btn-wrapper .authorize').click()`);
    await page.waitFor('the token taken', `document.querySelector('.modal-ux').innerText.includes('Authorized')`);
    await page.evaluate(`document.querySelector('.modal-ux .btn-done').click()`);

    await page.evaluate(`${PREDICT}.querySelector('.opblock-summary-control').click()`);
    await page.waitFor('Try it out', `${PREDICT}.querySelector('.try-out__btn')`);
    await page.evaluate(`${PREDICT}.querySelector('.try-out__btn').click()`);
    await page.waitFor('the body editor', `${PREDICT}.querySelector('textarea.body-param__text')`);
    await page.evaluate(
      `(() => { const body = ${PREDICT}.querySelector('textarea.body-param__text'); body.focus(); body.select(); })()`,
    );
    await page.type(JSON.stringify({ features: [ROW] }));
    await page.evaluate(`${PREDICT}.querySelector('button.execute').click()`);
    const status = await page.waitFor<string>(
      'the answer shown',
      `${PREDICT}.querySelector('.live-responses-table tr.response .response-col_status')?.innerText`,
    );

    expect(status.trim()).toBe('200');
    expect(await page.evaluate(`${PREDICT}.querySelector('.request-url pre').innerText`)).toBe(`${base}/predict`);
    const shown = JSON.parse(
      await page.evaluate<string>(`${PREDICT}.querySelector('.live-responses-table .highlight-code pre').innerText`),
    );
    const direct = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ features: [ROW] }),
    });
    const answer = (await direct.json()) as { predictions: number[]; probabilities: number[] };
    expect(shown).toMatchObject({ model: { name: MODEL, version: '1' }, predictions: answer.predictions });
    expect(shown.probabilities).toEqual(answer.probabilities);
    const fetched = page.requests.filter((url) => !url.startsWith('data:')).map((url) => new URL(url));
    expect(fetched.filter((url) => url.origin !== base).map(String)).toEqual([]);
    expect(await page.cspViolations()).toEqual([]);
    expect(page.problems).toEqual([]);

    const bottom = await page.evaluate<number>(
      `${PREDICT}.querySelector('.live-responses-table').getBoundingClientRect().bottom + window.scrollY`,
    );
    await page.screenshot(SCREENSHOT, Math.ceil(bottom) + 24);
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1280);
    expect(png.readUInt32BE(20)).toBe(Math.min(Math.ceil(bottom) + 24, 4000));
  }, 90_000);
});
