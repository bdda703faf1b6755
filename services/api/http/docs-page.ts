/**
 * The API reference at /docs, rendered on the server from the OpenAPI document: every operation is in the HTML
 * itself (nothing to wait for, no script at all), under a CSP that allows only its own stylesheet.
 */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const DOCS_STYLESHEET = `body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} .op{border:1px solid #ddd;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}
.get{color:#1565c0}.post{color:#2e7d32}.put{color:#ef6c00}.delete{color:#c62828}.patch{color:#6a1b9a}
code{background:#f4f4f4;padding:0 .25rem;border-radius:3px} details pre{background:#f8f8f8;padding:.5rem;overflow:auto;font-size:12px}
nav ul{columns:2} @media (max-width:700px){nav ul{columns:1}}
@media (prefers-color-scheme:dark){body{background:#15161a;color:#ececf1}code,details pre{background:#24252b}.op{border-color:#363843}}`;

interface OpenApiOperation {
  summary?: string;
  tags?: string[];
  parameters?: unknown;
  requestBody?: unknown;
  responses?: unknown;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

const escapeHtml = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function docsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags?.[0] ?? 'other';
      const details = escapeHtml(
        JSON.stringify({ parameters: op.parameters, requestBody: op.requestBody, responses: op.responses }, null, 2),
      );
      const html =
        `<div class="op"><span class="m ${escapeHtml(method)}">${escapeHtml(method)}</span> <code>${escapeHtml(path)}</code> ` +
        `${escapeHtml(op.summary ?? '')}<details><summary>details</summary><pre>${details}</pre></details></div>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const tags = [...byTag.keys()];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/docs.css"></head><body>
<h1>${escapeHtml(doc.info.title)} API</h1>
<p>${escapeHtml(doc.info.description ?? '')}. OpenAPI ${escapeHtml(doc.openapi)}, version ${escapeHtml(doc.info.version)}: the machine-readable
document is <a href="/openapi.json">/openapi.json</a>. Authenticate with <code>X-API-KEY</code> or <code>Authorization: Bearer</code>.
The web console is at <a href="/">/</a>.</p>
<nav aria-label="Sections"><ul>${tags.map((t) => `<li><a href="#${escapeHtml(t)}">${escapeHtml(t)}</a> (${byTag.get(t)!.length})</li>`).join('')}</ul></nav>
${tags.map((t) => `<section id="${escapeHtml(t)}"><h2>${escapeHtml(t)}</h2>${byTag.get(t)!.join('\n')}</section>`).join('\n')}
</body></html>`;
}
