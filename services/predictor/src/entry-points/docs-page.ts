/** Renders the OpenAPI document as one self-contained HTML page (no scripts, no CDN): routes, bodies, answers. */
export function renderDocsPage(doc: {
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown> };
}): string {
  const routes = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => method === 'get' || method === 'post')
      .map(([method, op]) => renderOperation(method, path, op as Operation)),
  );
  const schemas = Object.entries(doc.components.schemas).map(
    ([name, schema]) =>
      `<h3 id="${escapeHtml(name)}">${escapeHtml(name)}</h3><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f5f5f5;padding:.75rem;overflow:auto}code{font-weight:600}.m{display:inline-block;width:3.5rem}</style></head>
<body><h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description)} Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>
<h2>Routes</h2>${routes.join('\n')}
<h2>Schemas</h2>${schemas.join('\n')}
</body></html>
`;
}

interface Operation {
  summary?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
}

function renderOperation(method: string, path: string, op: Operation): string {
  const body = Object.entries(op.requestBody?.content ?? {})
    .map(([type, { schema }]) => `${escapeHtml(type)}${schemaLink(schema.$ref)}`)
    .join(', ');
  const answers = Object.entries(op.responses)
    .map(
      ([status, r]) => `<li>${escapeHtml(status)}: ${escapeHtml(r.description)}${schemaLink(firstRef(r.content))}</li>`,
    )
    .join('');
  return `<h3><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? '')}${op.security === undefined ? '' : ' (bearer token when configured)'}</p>
${body === '' ? '' : `<p>Body: ${body}</p>`}<ul>${answers}</ul>`;
}

function firstRef(content: Record<string, { schema: { $ref?: string } }> | undefined): string | undefined {
  return Object.values(content ?? {})[0]?.schema.$ref;
}

function schemaLink(ref: string | undefined): string {
  if (ref === undefined) return '';
  const name = ref.split('/').pop() ?? '';
  return ` → <a href="#${escapeHtml(name)}">${escapeHtml(name)}</a>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
