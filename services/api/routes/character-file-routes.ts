import { z } from 'zod';
import type { CreateOutcome } from '../../../commands/characters/character-workflows.ts';
import { importCard } from '../../../commands/characters/import-card.ts';
import { exportCharacterCard } from '../../characters/character-export.ts';
import { createCharacterNameSuffixes } from '../../../queries/character-name-suffixes.ts';
import type { CardWorldBookOutcome } from '../../../commands/world-books/card-world-book.ts';
import { createCharacterQueries, toCharacterView } from '../../../queries/characters-queries.ts';
import { createWorldBookQueries, toEntryView, toWorldBookView } from '../../../queries/world-books-queries.ts';
import { resolveCardLimits, type CardParseSuccess } from '../../../shared/cards/index.ts';
import { AppError, notFound } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { sendDownload, sendUserFile } from '../http/file-response.ts';
import { readMultipartFile } from '../http/multipart.ts';
import { respondAfterProjection, respondProjectedInline } from '../http/read-your-writes.ts';
import { characterCreateInline, type CharacterRow } from '../../../projections/inline-character-create.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { characterViewSchema, visibleCharacter } from './character-routes.ts';
import { canRead } from '../../../shared/access/access-rules.ts';
import { TLDW_IMPORT_FIELD, takenNameOwner, tldwAlreadyExists, tldwImported } from '../tldw/character-import-answer.ts';

const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const importQuery = z
  .object({ allow_image_only: flag.optional(), on_conflict: z.enum(['error', 'rename', 'overwrite']).optional() })
  .strict();

/** What the import did, beside the character's view. */
function importReport(parsed: CardParseSuccess, outcome: CreateOutcome<unknown>, book: CardWorldBookOutcome | null) {
  return {
    import: {
      format: parsed.sourceFormat,
      dialect: parsed.source.dialect,
      warnings: parsed.warnings,
      replaced: outcome.replaced,
      ...(outcome.renamedFrom ? { renamed_from: outcome.renamedFrom } : {}),
      ...(book
        ? {
            world_book: {
              id: book.worldBookId,
              created: book.created,
              entry_count: book.entryCount,
              warnings: book.warnings.map((w) => ({ entry_index: w.entryIndex, code: w.code, detail: w.detail })),
            },
          }
        : {}),
    },
  };
}

export function characterFileRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createCharacterQueries(deps.db, deps.readSchema);
  const importPorts = {
    eventStore: deps.eventStore,
    cache: deps.stateCache,
    names: createCharacterNameSuffixes(deps.db, deps.readSchema),
    blobStore: deps.blobStore,
    config: deps.config,
  };
  const inline = deps.config.INLINE_PROJECTIONS ? characterCreateInline(deps.readSchema) : undefined;
  const location = (id: string) => `/api/v1/characters/${id}`;
  const books = createWorldBookQueries(deps.db, deps.readSchema);
  /** tldw_server's `include_world_books`: the character's attached books, each with its entries, beside the card. */
  const withWorldBooks = async (json: Uint8Array, characterId: string): Promise<Uint8Array> => {
    const attached = await books.attachments(characterId, { enabledOnly: false });
    const worldBooks = await Promise.all(
      attached.map(async (a) => ({ ...toWorldBookView(a.book), entries: (await books.entries(a.book.id)).map(toEntryView) })),
    );
    const card = JSON.parse(Buffer.from(json).toString('utf8')) as Record<string, unknown>;
    return new Uint8Array(Buffer.from(JSON.stringify({ ...card, world_books: worldBooks }, null, 2)));
  };

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/characters/import',
      operationId: 'importCharacter',
      summary: 'Import a card: PNG/APNG, WEBP, JPEG, JSON (V1/V2/V3, hybrid, Pygmalion), YAML, Markdown, text, CharX',
      tags: ['characters'],
      auth: 'user',
      // blob_upload when the card brings an image or assets to store
      rateLimit: ['character_import', 'blob_upload'],
      rateLimitInHandler: true,
      query: importQuery,
      bodyContentType: 'multipart/form-data',
      responses: {
        201: { description: 'imported', schema: characterViewSchema },
        200: { description: 'on_conflict=overwrite: a new version of the existing character', schema: characterViewSchema },
        400: { description: 'unreadable or mismatched file', schema: problemSchema },
        409: { description: 'a character with this name exists (`existing_id`)', schema: problemSchema },
        413: {
          description: 'file too large (`file_too_large`), or its images and assets would pass the storage quota (`quota_exceeded`)',
          schema: problemSchema,
        },
        415: { description: 'unsupported format', schema: problemSchema },
        422: { description: 'no card data (`missing_character_data`) or limits exceeded', schema: problemSchema },
      },
      handler: async ({ req, query, actor, log, consumeRateLimit }) => {
        const { file, fields } = await readMultipartFile(req, {
          fileFields: ['file', 'character_file'],
          maxBytes: deps.config.CARD_MAX_FILE_BYTES,
        });
        const allowImageOnly = query.allow_image_only ?? (fields.allow_image_only ? flag.parse(fields.allow_image_only) : false);
        const onConflict =
          query.on_conflict ?? (fields.on_conflict ? z.enum(['error', 'rename', 'overwrite']).parse(fields.on_conflict) : 'error');
        // A tldw_server client (the original's field, no on_conflict of ours) gets the original's answers too.
        const tldwClient = file.field === TLDW_IMPORT_FIELD && query.on_conflict === undefined && fields.on_conflict === undefined;
        const imported = await importCard(
          {
            ...importPorts,
            log,
            admit: ({ withBinaries }) => consumeRateLimit(withBinaries ? ['character_import', 'blob_upload'] : ['character_import']),
            parse: (bytes, options) => deps.cpu.run('parseCard', { bytes, options }, actor.userId),
          },
          actor,
          {
            file,
            allowImageOnly,
            onConflict,
            limits: resolveCardLimits({ maxFileBytes: deps.config.CARD_MAX_FILE_BYTES }),
            ...(inline ? { inline } : {}),
          },
        ).catch(async (err: unknown) => {
          const existing = tldwClient ? takenNameOwner(err) : null;
          const row = existing ? await queries.get(existing) : undefined;
          if (row && canRead(actor, row)) return { status: 200, body: tldwAlreadyExists(row) } as const;
          throw err;
        });
        if ('status' in imported) return imported;
        const { parsed, outcome, book, position } = imported;
        const report = importReport(parsed, outcome, book);
        const answer = (row: CharacterRow) => ({
          status: outcome.replaced ? 200 : 201,
          body: { ...toCharacterView(row), ...report, ...(tldwClient ? tldwImported(row) : {}) },
          headers: { Location: location(outcome.characterId), ETag: `W/"${row.version}"` },
        });
        // The character's row came with its append; the card's book (its own stream) is the next read's wait.
        if (outcome.inline) return respondProjectedInline(deps, actor.userId, position, answer(outcome.inline));
        return respondAfterProjection(
          deps,
          position,
          location(outcome.characterId),
          async () => answer((await queries.get(outcome.characterId))!),
          { id: outcome.characterId, version: outcome.result.revision, ...report },
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/:id/export',
      operationId: 'exportCharacter',
      summary:
        'Export as PNG (ccv3 + chara chunks on its own image), JSON (V3; `v3` is tldw_server’s name), V2 JSON or CharX; include_world_books adds the attached books to a JSON export',
      tags: ['characters'],
      auth: 'user',
      params: idParams,
      query: z
        .object({ format: z.enum(['png', 'json', 'v3', 'v2', 'charx']).default('png'), include_world_books: flag.optional() })
        .strict(),
      responses: {
        200: { description: 'the card file', contentType: 'application/octet-stream' },
        404: { description: 'missing', schema: problemSchema },
      },
      handler: async ({ params, query, actor, res }) => {
        const row = visibleCharacter(await queries.get(params.id), params.id, actor);
        const exported = await exportCharacterCard(deps, row, query.format === 'v3' ? 'json' : query.format);
        const out =
          query.include_world_books && exported.mime === 'application/json'
            ? { ...exported, bytes: await withWorldBooks(exported.bytes, row.id) }
            : exported;
        sendDownload(
          res,
          out.bytes,
          out.mime,
          { name: row.name, extension: out.extension },
          {
            ETag: `W/"${row.version}-${query.format}${query.include_world_books ? '-books' : ''}"`,
            ...(out.warnings.length ? { 'X-Export-Warnings': encodeURIComponent(out.warnings.join(' | ')).slice(0, 2000) } : {}),
          },
        );
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/:id/image',
      operationId: 'getCharacterImage',
      summary: "The character's image, with its content type and an ETag",
      tags: ['characters'],
      auth: 'user',
      params: idParams,
      responses: {
        200: {
          description:
            'the image, inline when its bytes are PNG, JPEG, GIF or WebP; anything else (an SVG icon) as an application/octet-stream attachment',
          contentType: 'image/*',
        },
        304: { description: 'not modified' },
        404: { description: 'no image', schema: problemSchema },
      },
      handler: async ({ params, actor, req, res }) => {
        const row = visibleCharacter(await queries.get(params.id), params.id, actor);
        if (!row.avatar) throw new AppError(404, 'no_image', `character ${params.id} has no image`);
        const etag = `"${row.avatar.sha256}"`;
        if (req.headers['if-none-match'] === etag) {
          res.status(304).setHeader('ETag', etag).end();
          return undefined;
        }
        const blob = await deps.blobStore.get(row.avatar.sha256);
        if (!blob) throw notFound('image of character', params.id);
        sendUserFile(res, blob.bytes, { name: row.name }, { ETag: etag, 'Cache-Control': 'private, no-cache' });
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/:id/assets',
      operationId: 'listCharacterAssets',
      summary: "The card's other embedded files (CharX assets, legacy PNG asset chunks)",
      tags: ['characters'],
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'assets', schema: z.object({ items: z.array(z.record(z.string(), z.unknown())) }) } },
      handler: async ({ params, actor }) => {
        const row = visibleCharacter(await queries.get(params.id), params.id, actor);
        return {
          status: 200,
          body: { items: toCharacterView(row).assets.map((a, i) => ({ ...a, path: row.assets[i]!.path, uri: row.assets[i]!.uri })) },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/:id/assets/:index',
      operationId: 'getCharacterAsset',
      summary: 'One embedded asset, by its index in the asset list',
      tags: ['characters'],
      auth: 'user',
      params: idParams.extend({ index: z.coerce.number().int().min(0).max(10_000) }),
      responses: {
        200: {
          description: 'the asset: inline when its bytes are a PNG, JPEG, GIF or WebP image, else an application/octet-stream attachment',
          contentType: 'application/octet-stream',
        },
        404: { description: 'no such asset', schema: problemSchema },
      },
      handler: async ({ params, actor, req, res }) => {
        const row = visibleCharacter(await queries.get(params.id), params.id, actor);
        const asset = row.assets[params.index];
        if (!asset) throw new AppError(404, 'not_found', `character ${params.id} has no asset ${params.index}`);
        const etag = `"${asset.sha256}"`;
        if (req.headers['if-none-match'] === etag) {
          res.status(304).setHeader('ETag', etag).end();
          return undefined;
        }
        const blob = await deps.blobStore.get(asset.sha256);
        if (!blob) throw notFound('asset', String(params.index));
        sendUserFile(res, blob.bytes, { name: asset.name ?? 'asset', extension: asset.ext }, { ETag: etag });
        return undefined;
      },
    }),
  ];
}
