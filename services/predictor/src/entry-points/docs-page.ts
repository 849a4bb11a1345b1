import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The swagger-ui-dist files the page loads, as /docs/<name>, with their content types. */
const UI_FILES: Readonly<Record<string, string>> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};
/** The page's own script (Swagger UI's settings), served as /docs/init.js: no inline script, so CSP needs no hash. */
const INIT_FILE = 'init.js';

/**
 * What the page may load: only files of this origin (and the data: images of Swagger UI's stylesheet); requests made
 * by "try it out" go to this origin too. No inline script or style, no eval, no frames.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** One file under /docs/: its bytes, content type and strong validator. */
export interface DocsFile {
  readonly type: string;
  readonly body: Buffer;
  readonly etag: string;
}

/** The interactive API page: Swagger UI from the installed swagger-ui-dist package over this service's /openapi.json. */
export interface DocsPage {
  /** The HTML of GET /docs. */
  readonly html: string;
  /** The file /docs/{asset} names (read from disk once, on first use), or undefined for any other name. */
  file(name: string): DocsFile | undefined;
  /** The headers of an answer with `file`, asked for with `?v=<tag>` (cached for good when the tag is the page's). */
  fileHeaders(file: DocsFile, asked: unknown): Record<string, string>;
}

/** The headers of GET /docs: HTML, its content-security policy, revalidated on every load. */
export const DOCS_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Builds the docs page for the document titled `title`. Its URLs are relative (`docs/…`, `openapi.json`), so the page
 * also works behind a proxy that adds a path prefix; each asset URL carries `?v=` with a digest of the Swagger UI
 * version and the page's settings, so browsers may keep the files until either changes.
 */
export function createDocsPage(title: string): DocsPage {
  const uiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const uiVersion = (JSON.parse(readFileSync(join(uiDir, 'package.json'), 'utf8')) as { version: string }).version;
  const init = Buffer.from(initScript());
  const tag = createHash('sha256').update(uiVersion).update(init).digest('hex').slice(0, 12);
  const loaded = new Map<string, DocsFile>([[INIT_FILE, docsFile('text/javascript; charset=utf-8', init)]]);
  const url = (name: string) => `docs/${name}?v=${tag}`;
  return {
    html: pageHtml(title, url),
    file(name) {
      const type = Object.hasOwn(UI_FILES, name) ? UI_FILES[name] : undefined;
      if (loaded.has(name) || type === undefined) return loaded.get(name);
      const file = docsFile(type, readFileSync(join(uiDir, name)));
      loaded.set(name, file);
      return file;
    },
    fileHeaders(file, asked) {
      return {
        'content-type': file.type,
        'cache-control': asked === tag ? IMMUTABLE : 'no-cache',
        etag: file.etag,
        'x-content-type-options': 'nosniff',
      };
    },
  };
}

function docsFile(type: string, body: Buffer): DocsFile {
  return { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

function pageHtml(title: string, url: (name: string) => string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}: API reference</title>
<link rel="icon" type="image/png" href="${url('favicon-32x32.png')}">
<link rel="stylesheet" href="${url('swagger-ui.css')}">
<link rel="stylesheet" href="${url('index.css')}">
</head>
<body>
<noscript>This page needs JavaScript. The same API as JSON: <a href="openapi.json">openapi.json</a>.</noscript>
<div id="swagger-ui"></div>
<script src="${url('swagger-ui-bundle.js')}"></script>
<script src="${url(INIT_FILE)}"></script>
</body>
</html>
`;
}

/** Swagger UI's settings: this origin's document, no call to the public validator, "try it out" against this origin. */
function initScript(): string {
  return `'use strict';
// Swagger UI over the predictor's own OpenAPI document; every request goes to this origin.
window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  deepLinking: true,
  validatorUrl: null,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
});
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
