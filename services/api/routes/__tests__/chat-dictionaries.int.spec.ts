import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const BASE = '/api/v1/chat/dictionaries';
const MISSING = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';

async function createDictionary(name: string, extra: Record<string, unknown> = {}) {
  const res = await svc.request('POST', BASE, { body: { name, ...extra } });
  expect(res.status).toBe(201);
  return res.body;
}

async function addEntry(dictionaryId: string, fields: Record<string, unknown>) {
  const res = await svc.request('POST', `${BASE}/${dictionaryId}/entries`, { body: fields });
  expect(res.status).toBe(201);
  return res.body;
}

const process = async (body: Record<string, unknown>) => {
  const res = await svc.request('POST', `${BASE}/process`, { body });
  expect(res.status).toBe(200);
  return res.body;
};

describe('chat dictionaries over HTTP', () => {
  test('create, read, list, update with the version (409 when stale), soft delete and restore', async () => {
    const d = await createDictionary('Slang', {
      description: 'chat slang',
      category: '  ',
      tags: 'fun, Fun ,short',
      default_token_budget: 200,
    });
    expect(d).toMatchObject({
      name: 'Slang',
      description: 'chat slang',
      category: null,
      tags: ['fun', 'short'],
      version: 1,
      is_active: true,
      entry_count: 0,
      default_token_budget: 200,
      deleted_at: null,
    });
    const got = await svc.request('GET', `${BASE}/${d.id}`);
    expect(got.status).toBe(200);
    expect(got.body.entries).toEqual([]);
    expect(got.headers.get('etag')).toBe('W/"1"');

    const updated = await svc.request('PUT', `${BASE}/${d.id}`, { body: { name: 'Slang 2', version: 1 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Slang 2', version: 2 });
    const stale = await svc.request('PUT', `${BASE}/${d.id}`, { body: { name: 'nope', version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'version_conflict', current_version: 2, expected_version: 1 });
    expect((await svc.request('GET', `${BASE}/${d.id}`)).body.name).toBe('Slang 2');

    const inactive = await createDictionary('Zzz inactive', { is_active: false });
    const list = await svc.request('GET', BASE);
    const ids = list.body.dictionaries.map((x: { id: string }) => x.id);
    expect(ids).toContain(d.id);
    expect(ids).not.toContain(inactive.id);
    expect(list.body.dictionaries.find((x: { id: string }) => x.id === d.id).processing_priority).toBeGreaterThanOrEqual(1);
    const all = await svc.request('GET', `${BASE}?include_inactive=true`);
    expect(all.body.dictionaries.map((x: { id: string }) => x.id)).toContain(inactive.id);

    const del = await svc.request('DELETE', `${BASE}/${d.id}?expected_version=2`);
    expect(del.body).toEqual({ id: d.id, version: 3, deleted: true });
    expect((await svc.request('GET', `${BASE}/${d.id}`)).status).toBe(404);
    const restored = await svc.request('POST', `${BASE}/${d.id}/restore`);
    expect(restored.body).toMatchObject({ version: 4, deleted_at: null });
    expect((await svc.request('POST', `${BASE}/${d.id}/restore`)).status).toBe(409);
    expect((await svc.request('GET', `${BASE}/${MISSING}`)).status).toBe(404);
  });

  test('entries: defaults, update, delete, reorder; a pattern that cannot be compiled is a 400 and changes nothing', async () => {
    const d = await createDictionary('Entries');
    const e1 = await addEntry(d.id, { pattern: 'brb', replacement: 'be right back' });
    expect(e1).toMatchObject({
      pattern: 'brb',
      replacement: 'be right back',
      type: 'literal',
      probability: 1,
      max_replacements: 0,
      group: null,
      timed_effects: { sticky: 0, cooldown: 0, delay: 0 },
      enabled: true,
      case_sensitive: true,
      priority: 0,
      dictionary_version: 2,
    });
    const e2 = await addEntry(d.id, {
      pattern: '(\\d+)c',
      replacement: '$1°C',
      type: 'regex',
      probability: 50,
      timed_effects: { cooldown: 2 },
    });
    expect(e2).toMatchObject({ priority: 1, probability: 0.5, timed_effects: { sticky: 0, cooldown: 2, delay: 0 } });

    for (const bad of ['(a', '(a)\\1', 'x(?=y)']) {
      const res = await svc.request('POST', `${BASE}/${d.id}/entries`, { body: { pattern: bad, replacement: 'x', type: 'regex' } });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_regex');
      expect(res.body.detail).toContain(bad);
    }
    const badUpdate = await svc.request('PUT', `${BASE}/entries/${e1.id}`, { body: { type: 'regex', pattern: '[' } });
    expect(badUpdate.status).toBe(400);
    expect((await svc.request('GET', `${BASE}/${d.id}`)).body).toMatchObject({ version: 3, entry_count: 2 });

    const changed = await svc.request('PUT', `${BASE}/entries/${e1.id}`, {
      body: { replacement: 'back soon', group: 'slang', version: 3 },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ replacement: 'back soon', group: 'slang', dictionary_version: 4 });
    const stale = await svc.request('PUT', `${BASE}/entries/${e1.id}`, { body: { replacement: 'x', version: 3 } });
    expect(stale.status).toBe(409);

    const group = await svc.request('GET', `${BASE}/${d.id}/entries?group=slang`);
    expect(group.body.entries.map((e: { id: string }) => e.id)).toEqual([e1.id]);

    const reorder = await svc.request('PUT', `${BASE}/${d.id}/entries/reorder`, { body: { entry_ids: [e2.id, e1.id] } });
    expect(reorder.status).toBe(200);
    expect(reorder.body.message).toBe('Reordered 2 entries.');
    const entries = await svc.request('GET', `${BASE}/${d.id}/entries`);
    expect(entries.body.entries.map((e: { id: string; priority: number }) => [e.id, e.priority])).toEqual([
      [e2.id, 0],
      [e1.id, 1],
    ]);
    const incomplete = await svc.request('PUT', `${BASE}/${d.id}/entries/reorder`, { body: { entry_ids: [e2.id] } });
    expect(incomplete.status).toBe(400);
    expect(incomplete.body.detail).toBe('entry_ids must include every dictionary entry exactly once');

    const del = await svc.request('DELETE', `${BASE}/entries/${e2.id}`);
    expect(del.status).toBe(200);
    expect((await svc.request('GET', `${BASE}/entries/${e2.id}`)).status).toBe(404);
    expect((await svc.request('GET', `${BASE}/${d.id}`)).body.entry_count).toBe(1);

    const history = await svc.request('GET', `${BASE}/${d.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((i: { event_type: string }) => i.event_type)).toEqual([
      'ChatDictionaryCreated',
      'ChatDictionaryEntryAdded',
      'ChatDictionaryEntryAdded',
      'ChatDictionaryEntryUpdated',
      'ChatDictionaryEntriesReordered',
      'ChatDictionaryEntryDeleted',
    ]);
    expect(history.body.items[3]).toMatchObject({ version: 4, changed_fields: ['entries'] });
  });

  test('included dictionaries: expanded before the one including them; a cycle is a 400 naming it', async () => {
    const base = await createDictionary('Base', { entries: [{ pattern: 'u', replacement: 'you' }] });
    const top = await createDictionary('Top', { included_dictionary_ids: [base.id], entries: [{ pattern: 'you', replacement: 'thou' }] });
    const result = await process({ text: 'u', dictionary_id: top.id, max_iterations: 1 });
    expect(result).toMatchObject({
      original_text: 'u',
      processed_text: 'thou',
      replacements: 2,
      iterations: 1,
      dictionaries_used: [base.id, top.id],
    });

    const cycle = await svc.request('PUT', `${BASE}/${base.id}`, { body: { included_dictionary_ids: [top.id] } });
    expect(cycle.status).toBe(400);
    expect(cycle.body).toMatchObject({ code: 'include_cycle', detail: 'Dictionary include cycle detected: Base -> Top -> Base' });
    const self = await svc.request('PUT', `${BASE}/${base.id}`, { body: { included_dictionary_ids: [base.id] } });
    expect(self.status).toBe(400);
    expect(self.body.detail).toBe('Dictionary include cycle detected: Base -> Base');
    const unknown = await svc.request('POST', BASE, { body: { name: 'Dangling', included_dictionary_ids: [MISSING] } });
    expect(unknown.status).toBe(400);
    expect((await svc.request('GET', `${BASE}/${base.id}`)).body.version).toBe(1);
  });

  test('process: the original fields, an explanation per entry, probability from a seed, budget, group, limits', async () => {
    const d = await createDictionary('Process', {
      entries: [
        { pattern: 'token', replacement: 'Z' },
        { pattern: 'Z', replacement: 'A' },
        { pattern: 'maybe', replacement: 'perhaps', probability: 0.5 },
        { pattern: 'off', replacement: 'on', enabled: false },
        { pattern: 'grouped', replacement: 'G', group: 'g' },
      ],
    });
    const r = await process({ text: 'token', dictionary_ids: [d.id] });
    expect(r).toMatchObject({ processed_text: 'A', replacements: 2, iterations: 1, token_budget_exceeded: false, token_budget_used: null });
    expect(r.entries_used).toHaveLength(2);
    expect(typeof r.processing_time_ms).toBe('number');
    expect(r.explanations.map((x: { outcome: string }) => x.outcome)).toEqual(['applied', 'applied', 'no_match', 'disabled', 'no_match']);

    const seeded = async (seed: number) => (await process({ text: 'maybe', dictionary_ids: [d.id], seed })).explanations[2];
    const a = await seeded(7);
    expect(await seeded(7)).toEqual(a);
    expect(a.roll).toEqual(expect.any(Number));
    expect(a.outcome).toBe(a.roll < 0.5 ? 'applied' : 'probability_failed');

    const grouped = await process({ text: 'token grouped', dictionary_ids: [d.id], group: 'g' });
    expect(grouped.processed_text).toBe('token G');

    const budget = await createDictionary('Budget', { entries: [{ pattern: 'x', replacement: 'x x' }] });
    const b = await process({ text: 'x', dictionary_ids: [budget.id], token_budget: 3 });
    expect(b.token_budget_exceeded).toBe(true);
    expect(b.token_budget_used).toBeLessThanOrEqual(3);

    const long = await svc.request('POST', `${BASE}/process`, { body: { text: 'a'.repeat(400_001), dictionary_ids: [d.id] } });
    expect(long.status).toBe(400);
    expect(long.body.detail).toBe('Input text exceeds maximum length (400001 > 400000)');
    expect((await svc.request('POST', `${BASE}/process`, { body: { text: 'a', dictionary_ids: [MISSING] } })).status).toBe(404);
  });

  test('process without ids uses every active dictionary, by name', async () => {
    const mine = await createDictionary('aaa first active', { entries: [{ pattern: 'qqq', replacement: 'rrr' }] });
    await createDictionary('zzz inactive', { is_active: false, entries: [{ pattern: 'rrr', replacement: 'sss' }] });
    const r = await process({ text: 'qqq' });
    expect(r.processed_text).toBe('rrr');
    expect(r.dictionaries_used[0]).toBe(mine.id);
  });

  test('Markdown and JSON: export → import gives back the same dictionary', async () => {
    const d = await createDictionary('Round trip', {
      description: 'two\nlines',
      category: 'style',
      tags: ['x', 'y'],
      default_token_budget: 50,
      entries: [
        {
          pattern: ' padded ',
          replacement: '',
          probability: 0.3,
          group: 'g',
          timed_effects: { sticky: 1, cooldown: 2, delay: 3 },
          max_replacements: 4,
          case_sensitive: false,
        },
        { pattern: '/(\\w+)!/i', replacement: 'loud $1', type: 'regex', enabled: false, priority: 9 },
      ],
    });
    const strip = (body: any) => ({
      ...body,
      entries: body.entries.map(({ id: _i, dictionary_id: _d, created_at: _c, updated_at: _u, ...e }: any) => e),
    });
    const original = strip((await svc.request('GET', `${BASE}/${d.id}`)).body);

    const md = await svc.request('GET', `${BASE}/${d.id}/export`);
    expect(md.body).toMatchObject({ name: 'Round trip', entry_count: 2, group_count: 1 });
    expect(md.body.content).toContain('## Entry:');
    const fromMd = await svc.request('POST', `${BASE}/import`, { body: { content: md.body.content } });
    expect(fromMd.status).toBe(201);
    expect(fromMd.body).toMatchObject({ entries_imported: 2, groups_created: 1, warnings: [] });

    const json = await svc.request('GET', `${BASE}/${d.id}/export/json`);
    const fromJson = await svc.request('POST', `${BASE}/import/json`, { body: { data: json.body } });
    expect(fromJson.status).toBe(201);

    for (const id of [fromMd.body.id, fromJson.body.id]) {
      const copy = strip((await svc.request('GET', `${BASE}/${id}`)).body);
      const pick = (x: any) => ({
        name: x.name,
        description: x.description,
        category: x.category,
        tags: x.tags,
        default_token_budget: x.default_token_budget,
        is_active: x.is_active,
        entries: x.entries,
      });
      expect(pick(copy)).toEqual(pick(original));
    }

    const legacy = await svc.request('POST', `${BASE}/import`, {
      body: { content: '# Legacy\n- hello -> hi\n- /colou?r/ -> hue (regex)\n- goodbye -> bye (50%)\n' },
    });
    expect(legacy.body).toMatchObject({ name: 'Legacy', entries_imported: 3 });
    const badRegex = await svc.request('POST', `${BASE}/import`, { body: { content: '- /(/ -> x (regex)\n' } });
    expect(badRegex.status).toBe(400);
    expect(badRegex.body.code).toBe('invalid_regex');
  });

  test('attachments to a character and a chat: attach, change, list, detach', async () => {
    const character = await svc.request('POST', '/api/v1/characters', { body: { name: 'Dict holder', first_message: 'Hi.' } });
    const chat = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.body.id } });
    const d = await createDictionary('Attach me');
    const url = `/api/v1/characters/${character.body.id}/chat-dictionaries`;
    const attached = await svc.request('POST', url, { body: { dictionary_id: d.id, apply_to: 'both', priority: 3 } });
    expect(attached.status).toBe(200);
    expect(attached.body).toMatchObject({
      dictionary_id: d.id,
      target_kind: 'character',
      apply_to: 'both',
      attachment_priority: 3,
      attachment_enabled: true,
    });
    const again = await svc.request('POST', url, { body: { dictionary_id: d.id, apply_to: 'output', priority: 3 } });
    expect(again.body.apply_to).toBe('output');
    expect((await svc.request('GET', url)).body.items).toHaveLength(1);
    expect((await svc.request('DELETE', `${url}/${d.id}`)).status).toBe(200);
    expect((await svc.request('GET', url)).body.items).toHaveLength(0);
    expect((await svc.request('DELETE', `${url}/${d.id}`)).status).toBe(404);

    const chatUrl = `/api/v1/character_chats/${chat.body.id}/chat-dictionaries`;
    expect((await svc.request('POST', chatUrl, { body: { dictionary_id: d.id } })).body).toMatchObject({
      target_kind: 'chat',
      apply_to: 'input',
    });
    const usage = await svc.request('GET', `${BASE}?include_usage=true`);
    expect(usage.body.dictionaries.find((x: { id: string }) => x.id === d.id)).toMatchObject({
      used_by_chat_count: 1,
      used_by_active_chat_count: 1,
    });
    expect((await svc.request('POST', chatUrl, { body: { dictionary_id: MISSING } })).status).toBe(404);
  });
});
