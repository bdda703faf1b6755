/**
 * Ports of the original's settings validation tests (`Character_Chat/test_chat_settings_endpoints.py`: the
 * assistant overlay and the deep-research attachments' shape) and of its chat-list options
 * (`Character_Chat/unit/test_chat_session_character_scope_api.py`, which drives the real router through
 * FastAPI's TestClient), against the original's literal paths. The original creates a research run in its own
 * store for some of these; the checks ported here do not depend on one.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
}, 120_000);
afterAll(async () => {
  await svc?.close();
});

const SETTINGS = 'Character_Chat/test_chat_settings_endpoints.py';
const SCOPE = 'Character_Chat/unit/test_chat_session_character_scope_api.py';
const AT = '2026-05-22T20:00:00Z';

async function chat(): Promise<string> {
  const character = await svc.request('POST', '/api/v1/characters/', { body: { name: `Settings ${Date.now()} ${Math.random()}` } });
  const created = await svc.request('POST', '/api/v1/chats/', {
    body: { character_id: character.body.id, title: 'Persisted attachment chat' },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}
const putSettings = (chatId: string, settings: Record<string, unknown>) =>
  svc.request('PUT', `/api/v1/chats/${chatId}/settings`, { body: { settings: { schemaVersion: 2, updatedAt: AT, ...settings } } });
const attachment = (runId = 'run_123', updatedAt = '2026-03-08T20:00:00Z') => ({
  run_id: runId,
  query: 'Assess local-vs-web evidence',
  question: 'Assess local-vs-web evidence',
  outline: [{ title: 'Summary' }, { title: 'Risks' }],
  key_claims: [{ text: 'Claim A' }],
  unresolved_questions: ['What primary source is still missing?'],
  verification_summary: { unsupported_claim_count: 1 },
  source_trust_summary: { high_trust_count: 2 },
  research_url: `/research?run=${runId}`,
  attached_at: '2026-03-08T19:55:00Z',
  updatedAt,
});
const overlay = (extra: Record<string, unknown> = {}) => ({
  kind: 'character',
  id: 'overlay-2',
  name: 'Overlay Name',
  updatedAt: AT,
  ...extra,
});

describe(SETTINGS, () => {
  test(`${SETTINGS}::test_chat_settings_normalizes_assistant_overlay_strings`, async () => {
    const chatId = await chat();
    const r = await putSettings(chatId, {
      assistantOverlay: {
        kind: ' Persona ',
        id: ' persona-7 ',
        name: ' Research Guide ',
        avatar_url: ' https://example.com/persona-7.png ',
        system_prompt_snapshot: ' Be concise and evidence-driven. ',
        updatedAt: ` ${AT} `,
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.settings.assistantOverlay).toEqual({
      kind: 'persona',
      id: 'persona-7',
      name: 'Research Guide',
      avatar_url: 'https://example.com/persona-7.png',
      system_prompt_snapshot: 'Be concise and evidence-driven.',
      updatedAt: AT,
    });
  });

  test(`${SETTINGS}::test_chat_settings_rejects_invalid_assistant_overlay_kind`, async () => {
    const r = await putSettings(await chat(), { assistantOverlay: overlay({ kind: 'regular', id: 'overlay-1' }) });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body.detail)).toContain('assistantOverlay.kind');
  });

  test.each([['id'], ['name']])(
    `${SETTINGS}::test_chat_settings_rejects_oversized_assistant_overlay_identity_fields[%s]`,
    async (field) => {
      const r = await putSettings(await chat(), { assistantOverlay: overlay({ [field]: 'x'.repeat(20_001) }) });
      expect(r.status).toBe(413);
      expect(JSON.stringify(r.body.detail)).toContain(`assistantOverlay.${field}`);
    },
  );

  test.each([
    ['snapshot-object', { system_prompt_snapshot: { text: 'bad' } }, false, 422, 'assistantOverlay.system_prompt_snapshot'],
    ['snapshot-too-long', { system_prompt_snapshot: 'x'.repeat(20_001) }, false, 413, 'assistantOverlay.system_prompt_snapshot'],
    ['no-updated-at', {}, true, 422, 'assistantOverlay.updatedAt'],
  ])(
    `${SETTINGS}::test_chat_settings_rejects_invalid_assistant_overlay_prompt_snapshot[%s]`,
    async (_name, overrides, dropUpdatedAt, status, detail) => {
      const o: Record<string, unknown> = overlay(overrides);
      if (dropUpdatedAt) delete o.updatedAt;
      const r = await putSettings(await chat(), { assistantOverlay: o });
      expect(r.status).toBe(status);
      expect(JSON.stringify(r.body.detail)).toContain(detail);
    },
  );

  test(`${SETTINGS}::test_chat_settings_rejects_unknown_keys_inside_deep_research_attachment`, async () => {
    const r = await putSettings(await chat(), { deepResearchAttachment: { ...attachment(), full_bundle: { too: 'much' } } });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body.detail)).toContain('deepResearchAttachment');
  });

  test(`${SETTINGS}::test_chat_settings_rejects_unknown_keys_inside_deep_research_pinned_attachment`, async () => {
    const r = await putSettings(await chat(), {
      deepResearchPinnedAttachment: { ...attachment('run_pinned'), full_bundle: { too: 'much' } },
    });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body.detail)).toContain('deepResearchPinnedAttachment');
  });

  test(`${SETTINGS}::test_chat_settings_rejects_unknown_keys_inside_deep_research_attachment_history_entry`, async () => {
    const r = await putSettings(await chat(), {
      deepResearchAttachmentHistory: [{ ...attachment('run_hist_bad'), full_bundle: { too: 'much' } }],
    });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body.detail)).toContain('deepResearchAttachmentHistory[0]');
  });

  test(`${SETTINGS}::test_chat_settings_rejects_invalid_attachment_updated_at`, async () => {
    const r = await putSettings(await chat(), { deepResearchAttachment: attachment('run_123', 'not-a-timestamp') });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body.detail)).toContain('deepResearchAttachment.updatedAt');
  });

  test(`${SETTINGS}::test_chat_settings_rejects_attachment_history_longer_than_three_entries`, async () => {
    const history = [0, 1, 2, 3].map((i) => attachment(`run_hist_${i}`, `2026-03-08T20:0${i}:00Z`));
    const r = await putSettings(await chat(), { deepResearchAttachmentHistory: history });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body.detail)).toContain('deepResearchAttachmentHistory');
  });
});

describe(SCOPE, () => {
  test(`${SCOPE}::test_list_chat_sessions_rejects_incompatible_character_scope_and_character_id`, async () => {
    const character = await svc.request('POST', '/api/v1/characters/', { body: { name: `Scope ${Date.now()}` } });
    const r = await svc.request('GET', `/api/v1/chats/?character_scope=non_character&character_id=${character.body.id}`);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.detail)).toContain('character_scope');
  });

  // The original also checks, through monkeypatched counters, that the counts are read in one batch.
  test(`${SCOPE}::test_list_chat_sessions_uses_batched_message_counts_and_filters_character_scope`, async () => {
    const character = await svc.request('POST', '/api/v1/characters/', { body: { name: `Scoped ${Date.now()}` } });
    const characterChat = (
      await svc.request('POST', '/api/v1/chats/', { body: { character_id: character.body.id, title: 'Character chat' } })
    ).body.id;
    const plainChat = (await svc.request('POST', '/api/v1/chats/', { body: { title: 'Plain chat' } })).body.id;
    await svc.request('POST', `/api/v1/chats/${characterChat}/messages`, { body: { role: 'user', content: 'hello' } });
    const r = await svc.request('GET', '/api/v1/chats/?character_scope=character&limit=200');
    expect(r.status).toBe(200);
    const ids = r.body.chats.map((c: { id: string }) => c.id);
    expect(ids).toContain(characterChat);
    expect(ids).not.toContain(plainChat);
    expect(r.body.pagination).toMatchObject({
      mode: 'offset',
      limit: 200,
      offset: 0,
      total: r.body.total,
      has_more: false,
      next_offset: null,
    });
    expect(r.body.chats.find((c: { id: string }) => c.id === characterChat).message_count).toBe(1);
  });

  test(`${SCOPE}::test_list_chat_sessions_can_skip_message_counts_for_lean_overview`, async () => {
    const plainChat = (await svc.request('POST', '/api/v1/chats/', { body: { title: 'Plain chat' } })).body.id;
    const r = await svc.request('GET', '/api/v1/chats/?include_message_counts=false&limit=200');
    expect(r.status).toBe(200);
    expect(r.body.chats.find((c: { id: string }) => c.id === plainChat).message_count).toBeNull();
  });
});
