import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response, type Router } from 'express';

/**
 * The web console (web/, built by `npm ci`'s prepare script into web/dist) served at `/` from the same origin:
 * a strict CSP (no inline script or style, nothing from elsewhere), content-hashed assets cached for a year,
 * the page itself revalidated on every load so a new build is picked up at once.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body><main><h1>The web console is not built</h1><p>Run <code>npm run build:console</code> (npm ci does it) and reload.
The API itself is at <a href="/docs">/docs</a>.</p></main></body></html>`;

export function consoleRouter(dir: string = DEFAULT_CONSOLE_DIR): Router {
  const router = express.Router();
  const indexPath = `${dir}/index.html`;
  let index: string | null = null;
  const page = (_req: Request, res: Response) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CONTENT_SECURITY_POLICY);
    res.setHeader('Cache-Control', 'no-cache');
    if (index === null && existsSync(indexPath)) index = readFileSync(indexPath, 'utf8');
    if (index === null) return res.status(503).type('html').send(NOT_BUILT);
    res.type('html').send(index);
  };
  router.get(['/', '/index.html'], page);
  router.use(
    '/assets',
    (_req, res, next) => {
      res.setHeader('Content-Security-Policy', CONSOLE_CONTENT_SECURITY_POLICY);
      next();
    },
    express.static(`${dir}/assets`, { immutable: true, maxAge: '365d', index: false, fallthrough: true, etag: true }),
  );
  return router;
}
