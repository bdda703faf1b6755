/**
 * How to call every operation of the route table as its owner: what to create first, and which path
 * parameters, query and body make a valid request. Keyed by `operationId`, used by the authorization matrix
 * and the hostile-input suite; both fail when a route of `routeTable()` has no entry here, so a new route
 * cannot skip them.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { cardFromBasicFields, exportCard } from '../../../../shared/cards/index.ts';
import { buildPng, cardJson, tEXt } from '../../../../shared/cards/__tests__/helpers/builders.ts';
import type { RouteDefinition } from '../../http/route.ts';

export const JWT_SECRET = 'hardening-test-secret-0123456789-abcdefghijkl';

/** The completion routes need a provider and a worker: the suites point the service at a fake OpenAI upstream. */
export function llmTestEnv(upstreamUrl: string): Record<string, string> {
  return { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstreamUrl, LLM_MODEL: 'fake-model' };
}

/** An `Authorization` header value for a user (HS256 JWT with `sub`; `{ role: 'admin' }` makes an administrator). */
export async function bearer(sub: string, claims: Record<string, unknown> = {}): Promise<string> {
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(JWT_SECRET));
  return `Bearer ${token}`;
}

export interface Req {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** A multipart/form-data file instead of a JSON body. */
  upload?: { bytes: Uint8Array; filename: string; field?: string };
  /** An endless stream (the event feed): take the status and headers of a 200 SSE answer, then hang up. */
  closeAfterHeaders?: boolean;
  /** Request headers beyond credentials and content type (`X-API-Compat` for tldw_server's shared-path routes). */
  headers?: Record<string, string>;
}

export interface Res {
  status: number;
  body: any;
  headers: Headers;
}

export interface RawRequest {
  method: string;
  url: string;
  auth?: string | null;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  closeAfterHeaders?: boolean;
}

export async function rawSend(base: string, r: RawRequest): Promise<Res> {
  const abort = new AbortController();
  const res = await fetch(`${base}${r.url}`, {
    method: r.method.toUpperCase(),
    headers: { ...(r.auth ? { Authorization: r.auth } : {}), ...r.headers },
    ...(r.body !== undefined ? { body: typeof r.body === 'string' ? r.body : Buffer.from(r.body) } : {}),
    signal: abort.signal,
  });
  if (r.closeAfterHeaders && res.ok && res.headers.get('content-type')?.startsWith('text/event-stream')) {
    abort.abort();
    return { status: res.status, body: undefined, headers: res.headers };
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (files)
  }
  return { status: res.status, body, headers: res.headers };
}

export function routeUrl(route: Pick<RouteDefinition, 'path'>, req: Req): string {
  const p = route.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    const v = req.params?.[name];
    if (v === undefined) throw new Error(`no value for path parameter ${name} of ${route.path}`);
    return encodeURIComponent(v);
  });
  const q = new URLSearchParams(req.query ?? {}).toString();
  return q ? `${p}?${q}` : p;
}

/** Sends a request to a route of the table as `auth` (null: no credentials). */
export async function call(base: string, route: Pick<RouteDefinition, 'method' | 'path'>, req: Req, auth: string | null): Promise<Res> {
  const url = routeUrl(route, req);
  if (req.upload) {
    const form = new FormData();
    form.append(req.upload.field ?? 'file', new Blob([Buffer.from(req.upload.bytes)]), req.upload.filename);
    const res = await fetch(`${base}${url}`, {
      method: route.method.toUpperCase(),
      headers: auth ? { Authorization: auth } : {},
      body: form,
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body, headers: res.headers };
  }
  return rawSend(base, {
    method: route.method,
    url,
    auth,
    headers: { ...req.headers, ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
    ...(req.closeAfterHeaders ? { closeAfterHeaders: true } : {}),
  });
}

/** Builders of owner resources over the API (each checks its own status). */
export function fixtureApi(base: string) {
  const must = async (r: Promise<Res>, what: string, status = 201): Promise<any> => {
    const res = await r;
    if (res.status !== status) throw new Error(`fixture ${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const post = (auth: string, url: string, body: unknown) =>
    rawSend(base, { method: 'POST', url, auth, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const upload = async (auth: string, url: string, bytes: Uint8Array, filename: string) => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(bytes)]), filename);
    const res = await fetch(`${base}${url}`, { method: 'POST', headers: { Authorization: auth }, body: form });
    return { status: res.status, body: (await res.json()) as unknown, headers: res.headers };
  };
  const api = {
    character: async (auth: string): Promise<string> =>
      (
        await must(
          post(auth, '/api/v1/characters', { name: `Char ${randomUUID().slice(0, 8)}`, first_message: 'Hello there.' }),
          'character',
        )
      ).id,
    taggedCharacter: async (auth: string, tag: string): Promise<string> =>
      (
        await must(
          post(auth, '/api/v1/characters', { name: `Tagged ${randomUUID().slice(0, 8)}`, first_message: 'Hello.', tags: [tag] }),
          'tagged character',
        )
      ).id,
    deletedCharacter: async (auth: string): Promise<string> => {
      const id = await api.character(auth);
      await must(rawSend(base, { method: 'DELETE', url: `/api/v1/characters/${id}`, auth }), 'delete character', 200);
      return id;
    },
    characterV2: async (auth: string): Promise<string> => {
      const id = await api.character(auth);
      await must(
        rawSend(base, {
          method: 'PUT',
          url: `/api/v1/characters/${id}`,
          auth,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ description: 'second version' }),
        }),
        'update character',
        200,
      );
      return id;
    },
    characterWithImage: async (auth: string): Promise<string> => {
      const png = buildPng([tEXt('chara', Buffer.from(cardJson(`Pic ${randomUUID().slice(0, 8)}`)).toString('base64'))]);
      return (await must(upload(auth, '/api/v1/characters/import', png, 'pic.png'), 'image import')).id;
    },
    characterWithAsset: async (auth: string): Promise<string> => {
      const card = cardFromBasicFields({ name: `Boxed ${randomUUID().slice(0, 8)}`, description: 'in a box' });
      card.data.assets = [{ type: 'emotion', uri: 'embeded://assets/emotion/happy.png', name: 'happy', ext: 'png' }];
      const charx = exportCard(card, 'charx', {
        assets: [
          {
            path: 'assets/emotion/happy.png',
            uri: 'embeded://assets/emotion/happy.png',
            type: 'emotion',
            name: 'happy',
            ext: 'png',
            mime: 'image/png',
            bytes: buildPng(),
          },
        ],
      });
      return (await must(upload(auth, '/api/v1/characters/import', charx.bytes, 'boxed.charx'), 'charx import')).id;
    },
    chat: async (auth: string, characterId?: string): Promise<{ characterId: string; chatId: string }> => {
      const c = characterId ?? (await api.character(auth));
      const chat = await must(post(auth, '/api/v1/character_chats', { character_id: c }), 'chat');
      return { characterId: c, chatId: chat.id };
    },
    message: async (
      auth: string,
      body: Record<string, unknown> = { sender: 'user', content: 'hello world' },
    ): Promise<{ chatId: string; messageId: string }> => {
      const { chatId } = await api.chat(auth);
      const m = await must(post(auth, `/api/v1/character_messages/chats/${chatId}/messages`, body), 'message');
      return { chatId, messageId: m.id };
    },
    book: async (auth: string): Promise<string> =>
      (await must(post(auth, '/api/v1/characters/world-books', { name: `Book ${randomUUID().slice(0, 8)}` }), 'world book')).id,
    entry: async (auth: string): Promise<{ bookId: string; entryId: string }> => {
      const bookId = await api.book(auth);
      const e = await must(
        post(auth, `/api/v1/characters/world-books/${bookId}/entries`, { keys: ['dragon'], content: 'Dragons live here.' }),
        'entry',
      );
      return { bookId, entryId: e.entry_id };
    },
    /** A chat with one message and a summary of it (written by the suites' fake LLM upstream through the worker). */
    summary: async (auth: string): Promise<{ chatId: string; messageId: string; summaryId: string }> => {
      const { chatId, messageId } = await api.message(auth);
      const s = await must(
        post(auth, `/api/v1/character_chats/${chatId}/memory/summaries`, { from_message_id: messageId, to_message_id: messageId }),
        'summary',
      );
      return { chatId, messageId, summaryId: s.summary_id };
    },
    completion: async (auth: string): Promise<string> =>
      (await must(post(auth, '/api/v1/chat/completions', { messages: [{ role: 'user', content: 'Hello' }] }), 'completion', 200)).id,
    delete: async (auth: string, url: string) => must(rawSend(base, { method: 'DELETE', url, auth }), `delete ${url}`, 200),
    /** A chat with settings through tldw_server's settings resource (a chat without any answers 404 there). */
    tldwChatSettings: async (auth: string, chatId: string) =>
      must(
        rawSend(base, {
          method: 'PUT',
          url: `/api/v1/chats/${chatId}/settings`,
          auth,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ settings: { greetingEnabled: true } }),
        }),
        'tldw chat settings',
        200,
      ),
    attach: async (auth: string, characterId: string, bookId: string) =>
      must(post(auth, `/api/v1/characters/${characterId}/world-books`, { world_book_id: bookId }), 'attach', 200),
    attachDictionary: async (auth: string, url: string, dictionaryId: string) =>
      must(post(auth, url, { dictionary_id: dictionaryId }), 'attach dictionary', 200),
    dictionary: async (auth: string): Promise<string> =>
      (await must(post(auth, '/api/v1/chat/dictionaries', { name: `Dict ${randomUUID().slice(0, 8)}` }), 'chat dictionary')).id,
    persona: async (auth: string, body: Record<string, unknown> = {}): Promise<string> =>
      (await must(post(auth, '/api/v1/personas', { name: `Persona ${randomUUID().slice(0, 8)}`, ...body }), 'persona')).id,
    namedCharacter: async (auth: string, name: string): Promise<string> =>
      (await must(post(auth, '/api/v1/characters', { name }), 'named character')).id,
    group: async (auth: string, memberIds?: string[], extra: Record<string, unknown> = {}): Promise<string> => {
      const members = memberIds ?? [await api.character(auth)];
      return (
        await must(post(auth, '/api/v1/groups', { name: `Group ${randomUUID().slice(0, 8)}`, member_ids: members, ...extra }), 'group')
      ).id;
    },
    dictionaryEntry: async (auth: string): Promise<{ dictionaryId: string; entryId: string }> => {
      const dictionaryId = await api.dictionary(auth);
      const e = await must(
        post(auth, `/api/v1/chat/dictionaries/${dictionaryId}/entries`, { pattern: 'brb', replacement: 'be right back' }),
        'chat dictionary entry',
      );
      return { dictionaryId, entryId: e.id };
    },
  };
  return api;
}

export type FixtureApi = ReturnType<typeof fixtureApi>;
export type Values = Record<string, string>;

export interface RouteFixture {
  /**
   * `resource`: the route addresses something that exists (path parameter or an id in the body): another
   * user gets 403, a missing one 404. `collection`: scoped to the caller (lists, creating from nothing).
   * `admin`: an administrator's route (`auth: 'admin'`): a user who is not one gets 403, an administrator 2xx.
   */
  kind: 'resource' | 'collection' | 'admin';
  /**
   * What another user's resource answers when it is not 403: the tldw_server-compatible routes answer 404 there,
   * as the original does (each user's data is out of sight, not forbidden).
   */
  foreignStatus?: 404;
  /** An operations route with a resource or collection shape: the caller must be an administrator (any other user gets 403). */
  admin?: boolean;
  setup?: (api: FixtureApi, owner: string) => Promise<Values>;
  request: (v: Values) => Req;
  /** The request for a missing resource; by default the first path parameter becomes an unknown UUID. */
  missing?: (v: Values) => Req;
}

const TLDW_COMPAT = { 'X-API-Compat': 'tldw' };
const PNG_BASE64 = Buffer.from(buildPng()).toString('base64');
const LOREBOOK = {
  entries: {
    0: {
      uid: 0,
      key: ['dragon'],
      keysecondary: [],
      comment: 'Dragons',
      content: 'Dragons live here.',
      order: 100,
      position: 0,
      disable: false,
    },
  },
};
const ST_CHAT = [
  { user_name: 'Ann', character_name: 'Char', create_date: '2024-10-18@20h52m00s', chat_metadata: {} },
  { name: 'Char', is_user: false, is_system: false, send_date: 'October 18, 2024 8:52pm', mes: 'Hello.', extra: {} },
  { name: 'Ann', is_user: true, is_system: false, send_date: 'October 18, 2024 8:53pm', mes: 'Hi!', extra: {} },
]
  .map((l) => JSON.stringify(l))
  .join('\n');
const cardFile = () => new Uint8Array(Buffer.from(cardJson(`Imported ${randomUUID().slice(0, 8)}`)));

const character =
  (make: (api: FixtureApi, owner: string) => Promise<string> = (api, o) => api.character(o)) =>
  async (api: FixtureApi, owner: string) => ({ id: await make(api, owner) });
const chat = async (api: FixtureApi, owner: string) => {
  const { chatId, messageId } = await api.message(owner);
  return { chat_id: chatId, message_id: messageId };
};
const message = (body?: Record<string, unknown>) => async (api: FixtureApi, owner: string) => {
  const { chatId, messageId } = await api.message(owner, body);
  return { chat_id: chatId, message_id: messageId };
};
const book = async (api: FixtureApi, owner: string) => ({ id: await api.book(owner) });
const summary = async (api: FixtureApi, owner: string) => {
  const { chatId, messageId, summaryId } = await api.summary(owner);
  return { chat_id: chatId, message_id: messageId, summary_id: summaryId };
};
const summaryRef = (v: Values) => ({ chat_id: v.chat_id!, summary_id: v.summary_id! });
/** A finished completion of the owner (the suites run a fake LLM upstream and a worker: see `llmTestEnv`). */
const completion = async (api: FixtureApi, owner: string) => ({ completion_id: await api.completion(owner) });
const missingCompletion = () => ({ params: { completion_id: `chatcmpl-${randomUUID()}` } });
const entry = async (api: FixtureApi, owner: string) => {
  const { bookId, entryId } = await api.entry(owner);
  return { id: bookId, entry_id: entryId };
};

const tagged = (tag: string) => async (api: FixtureApi, owner: string) => ({ id: await api.taggedCharacter(owner, tag) });

/**
 * The fixtures of a resource served by the lifecycle route family (get, update with `expected_version`, delete,
 * restore, history): one made by `create`, living at `path(id)`.
 */
function lifecycleFixtures(
  names: { get: string; update: string; delete: string; restore: string; history: string },
  create: (api: FixtureApi, owner: string) => Promise<string>,
  path: (id: string) => string,
  changes: Record<string, unknown>,
): Record<string, RouteFixture> {
  const made = async (api: FixtureApi, o: string) => ({ id: await create(api, o) });
  const byId = (v: { id?: string }) => ({ params: { id: v.id! } });
  return {
    [names.get]: { kind: 'resource', setup: made, request: byId },
    [names.update]: { kind: 'resource', setup: made, request: (v) => ({ ...byId(v), query: { expected_version: '1' }, body: changes }) },
    [names.delete]: { kind: 'resource', setup: made, request: byId },
    [names.restore]: {
      kind: 'resource',
      setup: async (api, o) => {
        const id = await create(api, o);
        await api.delete(o, path(id));
        return { id };
      },
      request: byId,
    },
    [names.history]: { kind: 'resource', setup: made, request: byId },
  };
}

export const ROUTE_FIXTURES: Record<string, RouteFixture> = {
  // long-term memory summaries
  listChatSummaries: { kind: 'resource', setup: summary, request: (v) => ({ params: { chat_id: v.chat_id! } }) },
  requestChatSummary: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { from_message_id: v.message_id!, to_message_id: v.message_id! } }),
  },
  getChatSummary: { kind: 'resource', setup: summary, request: (v) => ({ params: summaryRef(v) }) },
  updateChatSummary: {
    kind: 'resource',
    setup: summary,
    request: (v) => ({ params: summaryRef(v), body: { pinned: true, expected_version: 1 } }),
  },
  deleteChatSummary: { kind: 'resource', setup: summary, request: (v) => ({ params: summaryRef(v) }) },
  regenerateChatSummary: { kind: 'resource', setup: summary, request: (v) => ({ params: summaryRef(v) }) },
  // tldw_server's routes beside ours (services/api/tldw/)
  // tldw_server's answers on paths both APIs share (X-API-Compat: tldw); another user's character is a 404 there
  tldwDeleteCharacter: {
    kind: 'resource',
    foreignStatus: 404,
    setup: character(),
    request: (v) => ({ params: { id: v.id! }, query: { expected_version: '1' }, headers: TLDW_COMPAT }),
  },
  tldwGetCharacter: {
    kind: 'resource',
    foreignStatus: 404,
    setup: character(),
    request: (v) => ({ params: { id: v.id! }, headers: TLDW_COMPAT }),
  },
  tldwListCharacterWorldBooks: {
    kind: 'resource',
    foreignStatus: 404,
    setup: character(),
    request: (v) => ({ params: { id: v.id! }, headers: TLDW_COMPAT }),
  },
  tldwCreateWorldBook: {
    kind: 'collection',
    request: () => ({ body: { name: `Book ${randomUUID().slice(0, 8)}` }, headers: TLDW_COMPAT }),
  },
  // the original's bulk change answers 200 with another user's or a missing entry among `failed_ids`
  tldwBulkWorldBookEntries: {
    kind: 'collection',
    setup: entry,
    request: (v) => ({ body: { entry_ids: [v.entry_id!], operation: 'disable' }, headers: TLDW_COMPAT }),
  },
  tldwCreateCharacter: { kind: 'collection', request: () => ({ body: { name: `New ${randomUUID().slice(0, 8)}` } }) },
  tldwListCharacters: { kind: 'collection', setup: character(), request: () => ({ query: { limit: '10', offset: '0' } }) },
  tldwSearchCharacters: { kind: 'collection', setup: character(), request: () => ({ query: { query: 'Char', limit: '5' } }) },
  tldwFilterCharacters: { kind: 'collection', setup: tagged('fixture'), request: () => ({ query: { tags: 'fixture', limit: '5' } }) },
  tldwQueryCharacters: {
    kind: 'collection',
    setup: tagged('fixture'),
    request: () => ({ query: { page: '1', page_size: '5', tags: 'fixture', sort_by: 'created_at', sort_order: 'desc' } }),
  },
  tldwCharacterTagOperation: {
    kind: 'collection',
    setup: tagged('old-tag'),
    request: () => ({ body: { operation: 'rename', source_tag: 'old-tag', target_tag: 'new-tag' } }),
  },
  tldwProcessWorldBooks: {
    kind: 'resource',
    foreignStatus: 404,
    setup: book,
    request: (v) => ({ body: { text: 'a dragon appears', world_book_ids: [v.id!] } }),
    missing: () => ({ body: { text: 'a dragon appears', world_book_ids: [randomUUID()] } }),
  },
  tldwUpdateWorldBookEntry: {
    kind: 'resource',
    foreignStatus: 404,
    setup: entry,
    request: (v) => ({ params: { entry_id: v.entry_id! }, body: { content: 'Dragons sleep here.', priority: 5 } }),
  },
  tldwDeleteWorldBookEntry: { kind: 'resource', foreignStatus: 404, setup: entry, request: (v) => ({ params: { entry_id: v.entry_id! } }) },
  // characters
  createCharacter: { kind: 'collection', request: () => ({ body: { name: `New ${randomUUID().slice(0, 8)}` } }) },
  listCharacters: { kind: 'collection', request: () => ({ query: { limit: '10' } }) },
  getCharacter: { kind: 'resource', setup: character(), request: (v) => ({ params: { id: v.id! } }) },
  updateCharacter: {
    kind: 'resource',
    setup: character(),
    request: (v) => ({ params: { id: v.id! }, query: { expected_version: '1' }, body: { description: 'changed' } }),
  },
  deleteCharacter: { kind: 'resource', setup: character(), request: (v) => ({ params: { id: v.id! }, query: { expected_version: '1' } }) },
  restoreCharacter: {
    kind: 'resource',
    setup: character((api, o) => api.deletedCharacter(o)),
    request: (v) => ({ params: { id: v.id! } }),
  },
  listCharacterVersions: { kind: 'resource', setup: character(), request: (v) => ({ params: { id: v.id! } }) },
  diffCharacterVersions: {
    kind: 'resource',
    setup: character((api, o) => api.characterV2(o)),
    request: (v) => ({ params: { id: v.id! }, query: { from_version: '1', to_version: '2' } }),
  },
  revertCharacter: {
    kind: 'resource',
    setup: character((api, o) => api.characterV2(o)),
    request: (v) => ({ params: { id: v.id! }, body: { target_version: 1 } }),
  },
  // character files
  importCharacter: { kind: 'collection', request: () => ({ upload: { bytes: cardFile(), filename: 'card.json' } }) },
  exportCharacter: { kind: 'resource', setup: character(), request: (v) => ({ params: { id: v.id! }, query: { format: 'json' } }) },
  getCharacterImage: {
    kind: 'resource',
    setup: character((api, o) => api.characterWithImage(o)),
    request: (v) => ({ params: { id: v.id! } }),
  },
  listCharacterAssets: {
    kind: 'resource',
    setup: character((api, o) => api.characterWithAsset(o)),
    request: (v) => ({ params: { id: v.id! } }),
  },
  getCharacterAsset: {
    kind: 'resource',
    setup: character((api, o) => api.characterWithAsset(o)),
    request: (v) => ({ params: { id: v.id!, index: '0' } }),
  },
  rateLimitStatus: { kind: 'collection', request: () => ({}) },
  // world books attached to characters
  attachWorldBook: {
    kind: 'resource',
    setup: async (api, o) => ({ id: await api.character(o), book: await api.book(o) }),
    request: (v) => ({ params: { id: v.id! }, body: { world_book_id: v.book!, priority: 5 } }),
  },
  detachWorldBook: {
    kind: 'resource',
    setup: async (api, o) => {
      const id = await api.character(o);
      const b = await api.book(o);
      await api.attach(o, id, b);
      return { id, world_book_id: b };
    },
    request: (v) => ({ params: { id: v.id!, world_book_id: v.world_book_id! } }),
  },
  listCharacterWorldBooks: { kind: 'resource', setup: character(), request: (v) => ({ params: { id: v.id! } }) },
  processWorldInfoContext: {
    kind: 'resource',
    setup: character(),
    request: (v) => ({ body: { character_id: v.id!, text: 'a dragon appears' } }),
    missing: () => ({ body: { character_id: randomUUID(), text: 'a dragon appears' } }),
  },
  // world books
  importWorldBook: {
    kind: 'collection',
    request: () => ({ upload: { bytes: new Uint8Array(Buffer.from(JSON.stringify(LOREBOOK))), filename: 'lore.json' } }),
  },
  bulkWorldBookEntries: {
    kind: 'resource',
    setup: entry,
    request: (v) => ({ body: { entry_ids: [v.entry_id!], operation: 'disable' } }),
    missing: () => ({ body: { entry_ids: [randomUUID()], operation: 'disable' } }),
  },
  createWorldBook: { kind: 'collection', request: () => ({ body: { name: `Book ${randomUUID().slice(0, 8)}` } }) },
  listWorldBooks: { kind: 'collection', request: () => ({}) },
  getWorldBook: { kind: 'resource', setup: book, request: (v) => ({ params: { id: v.id! } }) },
  updateWorldBook: {
    kind: 'resource',
    setup: book,
    request: (v) => ({ params: { id: v.id! }, query: { expected_version: '1' }, body: { description: 'changed' } }),
  },
  deleteWorldBook: { kind: 'resource', setup: book, request: (v) => ({ params: { id: v.id! } }) },
  restoreWorldBook: {
    kind: 'resource',
    setup: async (api, o) => {
      const id = await api.book(o);
      await api.delete(o, `/api/v1/characters/world-books/${id}`);
      return { id };
    },
    request: (v) => ({ params: { id: v.id! } }),
  },
  exportWorldBook: { kind: 'resource', setup: entry, request: (v) => ({ params: { id: v.id! }, query: { format: 'lorebook_v3' } }) },
  worldBookStatistics: { kind: 'resource', setup: entry, request: (v) => ({ params: { id: v.id! } }) },
  createWorldBookEntry: {
    kind: 'resource',
    setup: book,
    request: (v) => ({ params: { id: v.id! }, body: { keys: ['castle'], content: 'A castle.' } }),
  },
  listWorldBookEntries: { kind: 'resource', setup: entry, request: (v) => ({ params: { id: v.id! } }) },
  getWorldBookEntry: { kind: 'resource', setup: entry, request: (v) => ({ params: { id: v.id!, entry_id: v.entry_id! } }) },
  updateWorldBookEntry: {
    kind: 'resource',
    setup: entry,
    request: (v) => ({ params: { id: v.id!, entry_id: v.entry_id! }, body: { content: 'Changed.' } }),
  },
  deleteWorldBookEntry: { kind: 'resource', setup: entry, request: (v) => ({ params: { id: v.id!, entry_id: v.entry_id! } }) },
  // chat dictionaries
  processChatDictionaries: {
    kind: 'resource',
    setup: async (api, o) => ({ id: (await api.dictionaryEntry(o)).dictionaryId }),
    request: (v) => ({ body: { text: 'brb', dictionary_ids: [v.id!] } }),
    missing: () => ({ body: { text: 'brb', dictionary_ids: [randomUUID()] } }),
  },
  importChatDictionaryMarkdown: {
    kind: 'collection',
    request: () => ({ body: { content: `# Imported ${randomUUID().slice(0, 8)}\n\n- brb -> be right back\n` } }),
  },
  importChatDictionaryJson: {
    kind: 'collection',
    request: () => ({
      body: { data: { name: `Imported ${randomUUID().slice(0, 8)}`, entries: [{ pattern: 'brb', replacement: 'be right back' }] } },
    }),
  },
  getChatDictionaryEntry: {
    kind: 'resource',
    setup: async (api, o) => ({ entry_id: (await api.dictionaryEntry(o)).entryId }),
    request: (v) => ({ params: { entry_id: v.entry_id! } }),
  },
  updateChatDictionaryEntry: {
    kind: 'resource',
    setup: async (api, o) => ({ entry_id: (await api.dictionaryEntry(o)).entryId }),
    request: (v) => ({ params: { entry_id: v.entry_id! }, body: { replacement: 'back soon' } }),
  },
  deleteChatDictionaryEntry: {
    kind: 'resource',
    setup: async (api, o) => ({ entry_id: (await api.dictionaryEntry(o)).entryId }),
    request: (v) => ({ params: { entry_id: v.entry_id! } }),
  },
  createChatDictionary: {
    kind: 'collection',
    request: () => ({ body: { name: `Dict ${randomUUID().slice(0, 8)}`, entries: [{ pattern: 'a', replacement: 'b' }] } }),
  },
  listChatDictionaries: { kind: 'collection', request: () => ({ query: { include_usage: 'true' } }) },
  getChatDictionary: {
    kind: 'resource',
    setup: async (api, o) => ({ id: await api.dictionary(o) }),
    request: (v) => ({ params: { id: v.id! } }),
  },
  updateChatDictionary: {
    kind: 'resource',
    setup: async (api, o) => ({ id: await api.dictionary(o) }),
    request: (v) => ({ params: { id: v.id! }, body: { description: 'changed', version: 1 } }),
  },
  deleteChatDictionary: {
    kind: 'resource',
    setup: async (api, o) => ({ id: await api.dictionary(o) }),
    request: (v) => ({ params: { id: v.id! } }),
  },
  // personas
  createPersona: { kind: 'collection', request: () => ({ body: { name: `Me ${randomUUID().slice(0, 8)}`, description: 'tall' } }) },
  listPersonas: { kind: 'collection', request: () => ({ query: { limit: '10' } }) },
  exportPersonas: { kind: 'collection', request: () => ({}) },
  importPersonas: {
    kind: 'collection',
    request: () => ({
      upload: {
        bytes: new Uint8Array(
          Buffer.from(JSON.stringify({ personas: { [`${randomUUID()}.png`]: 'Ann' }, persona_descriptions: {}, default_persona: null })),
        ),
        filename: 'personas.json',
      },
    }),
  },
  ...lifecycleFixtures(
    { get: 'getPersona', update: 'updatePersona', delete: 'deletePersona', restore: 'restorePersona', history: 'personaHistory' },
    (api, o) => api.persona(o),
    (id) => `/api/v1/personas/${id}`,
    { description: 'changed' },
  ),
  getPersonaAvatar: {
    kind: 'resource',
    setup: async (api, o) => ({ id: await api.persona(o, { avatar_base64: PNG_BASE64 }) }),
    request: (v) => ({ params: { id: v.id! } }),
  },
  restoreChatDictionary: {
    kind: 'resource',
    setup: async (api, o) => {
      const id = await api.dictionary(o);
      await api.delete(o, `/api/v1/chat/dictionaries/${id}`);
      return { id };
    },
    request: (v) => ({ params: { id: v.id! } }),
  },
  createChatDictionaryEntry: {
    kind: 'resource',
    setup: async (api, o) => ({ id: await api.dictionary(o) }),
    request: (v) => ({ params: { id: v.id! }, body: { pattern: 'afk', replacement: 'away' } }),
  },
  listChatDictionaryEntries: {
    kind: 'resource',
    setup: async (api, o) => ({ id: (await api.dictionaryEntry(o)).dictionaryId }),
    request: (v) => ({ params: { id: v.id! } }),
  },
  reorderChatDictionaryEntries: {
    kind: 'resource',
    setup: async (api, o) => {
      const { dictionaryId, entryId } = await api.dictionaryEntry(o);
      return { id: dictionaryId, entry_id: entryId };
    },
    request: (v) => ({ params: { id: v.id! }, body: { entry_ids: [v.entry_id!] } }),
  },
  exportChatDictionaryMarkdown: {
    kind: 'resource',
    setup: async (api, o) => ({ id: (await api.dictionaryEntry(o)).dictionaryId }),
    request: (v) => ({ params: { id: v.id! } }),
  },
  chatDictionaryHistory: {
    kind: 'resource',
    setup: async (api, o) => ({ id: (await api.dictionaryEntry(o)).dictionaryId }),
    request: (v) => ({ params: { id: v.id! } }),
  },
  exportChatDictionaryJson: {
    kind: 'resource',
    setup: async (api, o) => ({ id: (await api.dictionaryEntry(o)).dictionaryId }),
    request: (v) => ({ params: { id: v.id! } }),
  },
  attachCharacterChatDictionary: {
    kind: 'resource',
    setup: async (api, o) => ({ id: await api.character(o), dictionary: await api.dictionary(o) }),
    request: (v) => ({ params: { id: v.id! }, body: { dictionary_id: v.dictionary!, apply_to: 'both' } }),
  },
  detachCharacterChatDictionary: {
    kind: 'resource',
    setup: async (api, o) => {
      const id = await api.character(o);
      const d = await api.dictionary(o);
      await api.attachDictionary(o, `/api/v1/characters/${id}/chat-dictionaries`, d);
      return { id, dictionary_id: d };
    },
    request: (v) => ({ params: { id: v.id!, dictionary_id: v.dictionary_id! } }),
  },
  listCharacterChatDictionaries: { kind: 'resource', setup: character(), request: (v) => ({ params: { id: v.id! } }) },
  attachChatChatDictionary: {
    kind: 'resource',
    setup: async (api, o) => ({ chat_id: (await api.chat(o)).chatId, dictionary: await api.dictionary(o) }),
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { dictionary_id: v.dictionary! } }),
  },
  detachChatChatDictionary: {
    kind: 'resource',
    setup: async (api, o) => {
      const { chatId } = await api.chat(o);
      const d = await api.dictionary(o);
      await api.attachDictionary(o, `/api/v1/character_chats/${chatId}/chat-dictionaries`, d);
      return { chat_id: chatId, dictionary_id: d };
    },
    request: (v) => ({ params: { chat_id: v.chat_id!, dictionary_id: v.dictionary_id! } }),
  },
  listChatChatDictionaries: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! } }) },
  // chats
  importChat: {
    kind: 'resource',
    setup: character(),
    request: (v) => ({ body: { character_id: v.id!, content: ST_CHAT } }),
    missing: () => ({ body: { character_id: randomUUID(), content: ST_CHAT } }),
  },
  // groups
  createGroup: {
    kind: 'resource',
    setup: character(),
    request: (v) => ({ body: { name: 'The party', member_ids: [v.id!] } }),
    missing: () => ({ body: { name: 'The party', member_ids: [randomUUID()] } }),
  },
  listGroups: { kind: 'collection', request: () => ({ query: { limit: '10' } }) },
  importSillyTavernGroup: {
    kind: 'collection',
    setup: async (api, o) => {
      const name = `Member ${randomUUID().slice(0, 8)}`;
      await api.namedCharacter(o, name);
      return { name };
    },
    request: (v) => ({ body: { name: 'Imported party', members: [`${v.name!}.png`, 'nobody.png'], activation_strategy: 1 } }),
  },
  exportSillyTavernGroup: {
    kind: 'resource',
    setup: async (api, o) => ({ id: await api.group(o) }),
    request: (v) => ({ params: { id: v.id! } }),
  },
  ...lifecycleFixtures(
    { get: 'getGroup', update: 'updateGroup', delete: 'deleteGroup', restore: 'restoreGroup', history: 'groupHistory' },
    (api, o) => api.group(o),
    (id) => `/api/v1/groups/${id}`,
    { activation_strategy: 'list' },
  ),
  getGroupAvatar: {
    kind: 'resource',
    setup: async (api, o) => ({ id: await api.group(o, undefined, { avatar_base64: PNG_BASE64 }) }),
    request: (v) => ({ params: { id: v.id! } }),
  },
  createChat: {
    kind: 'resource',
    setup: character(),
    request: (v) => ({ body: { character_id: v.id! } }),
    missing: () => ({ body: { character_id: randomUUID() } }),
  },
  listChats: { kind: 'collection', request: () => ({}) },
  getChat: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! } }) },
  updateChat: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { title: 'Renamed', rating: 4 } }),
  },
  deleteChat: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! } }) },
  restoreChat: {
    kind: 'resource',
    setup: async (api, o) => {
      const v = await chat(api, o);
      await api.delete(o, `/api/v1/character_chats/${v.chat_id}`);
      return v;
    },
    request: (v) => ({ params: { chat_id: v.chat_id! } }),
  },
  forkChat: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! }, body: { message_id: v.message_id! } }) },
  exportChat: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! }, query: { format: 'markdown' } }) },
  // completions (the prompt preview calls no provider)
  prepareCharacterCompletion: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { message: 'What next?' } }),
  },
  completeCharacterChat: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { message: 'What next?' } }),
  },
  createChatCompletion: {
    kind: 'resource',
    setup: character(),
    request: (v) => ({ body: { character_id: v.id!, save_to_db: false, messages: [{ role: 'user', content: 'Hello' }] } }),
    missing: () => ({ body: { character_id: randomUUID(), save_to_db: false, messages: [{ role: 'user', content: 'Hello' }] } }),
  },
  createChatCompletionAtV1: {
    kind: 'resource',
    setup: character(),
    request: (v) => ({ body: { character_id: v.id!, save_to_db: false, messages: [{ role: 'user', content: 'Hello' }] } }),
    missing: () => ({ body: { character_id: randomUUID(), save_to_db: false, messages: [{ role: 'user', content: 'Hello' }] } }),
  },
  // OpenAI's models (another user's character model is a 404 like a missing one: the suites see a provider model)
  listModels: { kind: 'collection', request: () => ({}) },
  listModelsAtV1: { kind: 'collection', request: () => ({}) },
  getModel: { kind: 'collection', request: () => ({ params: { model_id: 'fake-model' } }) },
  getModelAtV1: { kind: 'collection', request: () => ({ params: { model_id: 'fake-model' } }) },
  resumeChatCompletionStream: {
    kind: 'resource',
    setup: completion,
    request: (v) => ({ params: { completion_id: v.completion_id! } }),
    missing: missingCompletion,
  },
  cancelChatCompletion: {
    kind: 'resource',
    setup: completion,
    request: (v) => ({ params: { completion_id: v.completion_id! } }),
    missing: missingCompletion,
  },
  // event feed (an endless SSE stream: the suites take its status and headers, then hang up)
  streamEvents: { kind: 'collection', request: () => ({ query: { from: 'start', types: 'CharacterCreated' }, closeAfterHeaders: true }) },
  listEventSchemas: { kind: 'collection', request: () => ({}) },
  // messages
  postMessage: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { sender: 'user', content: 'Another message' } }),
  },
  listMessages: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! }, query: { view: 'tree' } }) },
  searchMessages: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! }, query: { q: 'hello' } }) },
  searchChatMemory: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { query: 'hello', limit: 5 } }),
  },
  getMessage: { kind: 'resource', setup: chat, request: (v) => ({ params: { message_id: v.message_id! } }) },
  editMessage: { kind: 'resource', setup: chat, request: (v) => ({ params: { message_id: v.message_id! }, body: { content: 'edited' } }) },
  deleteMessage: { kind: 'resource', setup: chat, request: (v) => ({ params: { message_id: v.message_id! } }) },
  restoreMessage: {
    kind: 'resource',
    setup: async (api, o) => {
      const v = await chat(api, o);
      await api.delete(o, `/api/v1/character_messages/messages/${v.message_id}`);
      return v;
    },
    request: (v) => ({ params: { message_id: v.message_id! } }),
  },
  selectMessage: { kind: 'resource', setup: chat, request: (v) => ({ params: { message_id: v.message_id! } }) },
  listAlternates: { kind: 'resource', setup: chat, request: (v) => ({ params: { message_id: v.message_id! } }) },
  // tldw_server's chat and message routes (services/api/tldw/)
  tldwImportChat: {
    kind: 'collection',
    // Message ids are unique on the server (another import of the same ids is a 409): fresh ones each time.
    request: () => {
      const [q, a] = [`q_${randomUUID()}`, `a_${randomUUID()}`];
      return {
        body: {
          id: randomUUID(),
          title: 'Trip planning',
          created_at: '2025-03-01T09:59:30.000Z',
          messages: [
            { id: q, role: 'user', content: 'Where to?', timestamp: '2025-03-01T10:00:00.250Z' },
            { id: a, parent_message_id: q, role: 'assistant', content: 'Lisbon.', timestamp: '2025-03-01T10:01:00.250Z' },
          ],
        },
      };
    },
  },
  tldwCreateChatSession: { kind: 'collection', request: () => ({ body: { title: 'Planning notes', id: randomUUID() } }) },
  tldwListChatSessions: { kind: 'collection', request: () => ({ query: { include_settings: 'true', limit: '10' } }) },
  tldwGetChatSession: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, query: { include_settings: 'true' } }),
  },
  tldwUpdateChatSession: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, query: { expected_version: '3' }, body: { title: 'Renamed', state: 'resolved' } }),
  },
  tldwDeleteChatSession: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! } }) },
  tldwRestoreChatSession: {
    kind: 'resource',
    setup: async (api, o) => {
      const v = await chat(api, o);
      await api.delete(o, `/api/v1/character_chats/${v.chat_id}`);
      return v;
    },
    request: (v) => ({ params: { chat_id: v.chat_id! } }),
  },
  tldwGetChatSettings: {
    kind: 'resource',
    setup: async (api, o) => {
      const v = await chat(api, o);
      await api.tldwChatSettings(o, v.chat_id!);
      return v;
    },
    request: (v) => ({ params: { chat_id: v.chat_id! } }),
  },
  tldwPutChatSettings: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { settings: { authorNote: 'Rain all day.', greetingEnabled: true } } }),
  },
  tldwGetChatContext: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! } }) },
  tldwExportChat: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! }, query: { format: 'text' } }) },
  tldwPrepareCompletion: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { append_user_message: 'What next?' } }),
  },
  tldwCompleteV2: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { append_user_message: 'What next?', provider: 'openai' } }),
  },
  tldwCompleteDeprecated: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! } }) },
  tldwPersistStreamedReply: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { assistant_content: 'A streamed reply.' } }),
  },
  tldwPostMessage: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, body: { role: 'user', content: 'Another message' } }),
  },
  tldwListMessages: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { chat_id: v.chat_id! }, query: { include_metadata: 'true', render_placeholders: 'false' } }),
  },
  tldwSearchMessages: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! }, query: { query: 'hello' } }) },
  tldwGetMessage: { kind: 'resource', setup: chat, request: (v) => ({ params: { message_id: v.message_id! } }) },
  tldwEditMessage: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({
      params: { message_id: v.message_id! },
      query: { expected_version: '1' },
      body: { content: 'edited', pinned: true },
    }),
  },
  tldwDeleteMessage: {
    kind: 'resource',
    setup: chat,
    request: (v) => ({ params: { message_id: v.message_id! }, query: { expected_version: '1' } }),
  },
  // history and audit
  characterHistory: {
    kind: 'resource',
    setup: character((api, o) => api.characterV2(o)),
    request: (v) => ({ params: { id: v.id! }, query: { limit: '10' } }),
  },
  worldBookHistory: { kind: 'resource', setup: entry, request: (v) => ({ params: { id: v.id! }, query: { order: 'desc' } }) },
  worldBookEntryHistory: { kind: 'resource', setup: entry, request: (v) => ({ params: { id: v.id!, entry_id: v.entry_id! } }) },
  chatHistory: { kind: 'resource', setup: chat, request: (v) => ({ params: { chat_id: v.chat_id! }, query: { limit: '5' } }) },
  messageHistory: { kind: 'resource', setup: chat, request: (v) => ({ params: { message_id: v.message_id! } }) },
  listAuditEvents: {
    kind: 'admin',
    setup: character(),
    request: (v) => ({ query: { resource_id: v.id!, resource_type: 'character', limit: '10' } }),
  },
  // analytics and operations
  getMyUsage: { kind: 'collection', request: () => ({}) },
  getMyDefaults: { kind: 'collection', request: () => ({}) },
  updateMyDefaults: { kind: 'collection', request: () => ({ body: { compatibility: 'corrected' } }) },
  usageAnalytics: { kind: 'collection', request: () => ({ query: { from: '2026-01-01', to: '2026-01-31' } }) },
  listProjections: { kind: 'collection', admin: true, request: () => ({}) },
  getProjection: {
    kind: 'resource',
    admin: true,
    request: () => ({ params: { name: 'chats' } }),
    missing: () => ({ params: { name: 'no_such_projection' } }),
  },
  rebuildProjection: {
    kind: 'resource',
    admin: true,
    request: () => ({ params: { name: 'world_info_activations' } }),
    missing: () => ({ params: { name: 'no_such_projection' } }),
  },
  getMessageImage: {
    kind: 'resource',
    setup: message({ sender: 'user', content: 'look', image_base64: PNG_BASE64 }),
    request: (v) => ({ params: { message_id: v.message_id! } }),
  },
  // admin: destructive, so the fixture forgets a throwaway user of its own (with a chat and a world book)
  forgetUserData: {
    kind: 'admin',
    setup: async (api) => {
      const user = `owner-forgotten-${randomUUID().slice(0, 8)}`;
      const auth = await bearer(user);
      await api.message(auth);
      await api.book(auth);
      return { user };
    },
    request: (v) => ({ params: { id: v.user! } }),
  },
};

/** The request for a missing resource: the fixture's own, or the first path parameter replaced by a new UUID. */
export function missingRequest(route: RouteDefinition, fixture: RouteFixture, v: Values): Req {
  if (fixture.missing) return fixture.missing(v);
  const req = fixture.request(v);
  const first = /:([A-Za-z_][A-Za-z0-9_]*)/.exec(route.path)?.[1];
  if (!first) throw new Error(`${route.operationId}: no path parameter to make missing; give the fixture a \`missing\` request`);
  return { ...req, params: { ...req.params, [first]: randomUUID() } };
}
