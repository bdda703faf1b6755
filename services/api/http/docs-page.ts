/** A dependency-free API reference page that renders /openapi.json in the browser. */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Character chat API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} .op{border:1px solid #ddd;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}
.get{color:#1565c0}.post{color:#2e7d32}.put{color:#ef6c00}.delete{color:#c62828}.patch{color:#6a1b9a}
code{background:#f4f4f4;padding:0 .25rem;border-radius:3px} details pre{background:#f8f8f8;padding:.5rem;overflow:auto;font-size:12px}
</style></head><body>
<h1>Character chat API</h1><p id="info">Loading <code>/openapi.json</code>…</p><div id="ops"></div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  document.getElementById('info').innerHTML = doc.info.description + ' — OpenAPI ' + doc.openapi + ', version ' + doc.info.version +
    '. Authenticate with <code>X-API-KEY</code> or <code>Authorization: Bearer</code>.';
  const ops = document.getElementById('ops');
  for (const [path, methods] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(methods)) {
    const el = document.createElement('div'); el.className = 'op';
    const esc = s => String(s).replace(/[&<>]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
    el.innerHTML = '<span class="m ' + m + '">' + m + '</span> <code>' + esc(path) + '</code> ' + esc(op.summary || '') +
      '<details><summary>details</summary><pre>' + esc(JSON.stringify({parameters: op.parameters, requestBody: op.requestBody, responses: op.responses}, null, 2)) + '</pre></details>';
    ops.appendChild(el);
  }
});
</script></body></html>`;
