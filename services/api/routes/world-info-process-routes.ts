import { z } from 'zod';
import { createWorldInfoContextProcessor } from '../../world-info/process-world-info-context.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { processContextBody, processContextResponse, toEngineSettings } from './process-context-schemas.ts';

/**
 * The lorebook engine over HTTP: which entries a text (or a chat) activates, what would be injected where, and
 * why every entry did or did not fire. The scan runs on the CPU pool (each thread caches book indexes by (book,
 * version)); texts beyond WORLD_INFO_MAX_SCAN_CHARS and regex work beyond WORLD_INFO_MAX_SCAN_WORK are refused first.
 */
export function worldInfoProcessRoutes(deps: ApiDependencies): RouteDefinition[] {
  const processor = createWorldInfoContextProcessor(deps);

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/characters/world-books/process-context',
      operationId: 'processWorldInfoContext',
      summary: 'Run the lorebook engine on a text, messages or a chat: injections per position and a diagnostic per entry',
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      body: processContextBody,
      responses: {
        200: { description: 'injections, activated entries, one diagnostic per entry', schema: z.record(z.string(), z.unknown()) },
        400: { description: 'invalid input or conflicting settings', schema: problemSchema },
        403: { description: "another user's character, chat or book", schema: problemSchema },
        404: { description: 'character, chat or book missing', schema: problemSchema },
        413: { description: 'more text to scan than WORLD_INFO_MAX_SCAN_CHARS (`scan_too_large`)', schema: problemSchema },
        422: { description: 'regex keys × scanned text beyond WORLD_INFO_MAX_SCAN_WORK (`scan_too_costly`)', schema: problemSchema },
        503: { description: 'the scan took longer than CPU_TASK_TIMEOUT_MS (`processing_timeout`)', schema: problemSchema },
      },
      handler: async ({ body, actor }) => {
        const { result, books, ...extra } = await processor.process(body, toEngineSettings(body), actor);
        return { status: 200, body: processContextResponse(result, books, { ...extra, diagnostics: body.diagnostics }) };
      },
    }),
  ];
}
