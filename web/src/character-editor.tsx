import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.ts';
import type { Character } from './types.ts';

const TEXT_FIELDS: Array<[keyof Character, string, boolean]> = [
  ['name', 'Name', false],
  ['nickname', 'Nickname', false],
  ['description', 'Description', true],
  ['personality', 'Personality', true],
  ['scenario', 'Scenario', true],
  ['first_message', 'First message', true],
  ['message_example', 'Example messages', true],
  ['system_prompt', 'System prompt', true],
  ['post_history_instructions', 'Post-history instructions', true],
  ['creator_notes', 'Creator notes', true],
  ['creator', 'Creator', false],
  ['character_version', 'Character version', false],
];

type Draft = Record<string, string>;

function draftOf(c: Character): Draft {
  const d: Draft = {};
  for (const [field] of TEXT_FIELDS) d[field] = String(c[field] ?? '');
  d.tags = c.tags.join(', ');
  d.alternate_greetings = c.alternate_greetings.join('\n\n---\n\n');
  d.extensions = JSON.stringify(c.extensions ?? {}, null, 2);
  const data = (c.card?.data ?? {}) as Record<string, unknown>;
  d.group_only_greetings = ((data.group_only_greetings as string[] | undefined) ?? []).join('\n\n---\n\n');
  d.source = ((data.source as string[] | undefined) ?? []).join('\n');
  d.creator_notes_multilingual = JSON.stringify(data.creator_notes_multilingual ?? {}, null, 2);
  return d;
}

/** The V3 fields the user changed (only those: an untouched card keeps its bytes). */
function changedCardData(draft: Draft, original: Draft, multilingual: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (draft.nickname !== original.nickname) out.nickname = draft.nickname;
  if (draft.group_only_greetings !== original.group_only_greetings) out.group_only_greetings = greetings(draft.group_only_greetings ?? '');
  if (draft.source !== original.source)
    out.source = (draft.source ?? '')
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  if (draft.creator_notes_multilingual !== original.creator_notes_multilingual) out.creator_notes_multilingual = multilingual;
  return out;
}

const greetings = (text: string) =>
  text
    .split(/\n\s*---\s*\n/)
    .map((g) => g.trim())
    .filter(Boolean);

/** Every field of the card, saved with optimistic concurrency (a stale version is refused and reloaded). */
export function CharacterEditor({ api, character, onSaved }: { api: Api; character: Character; onSaved: (c: Character) => void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(character));
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => setDraft(draftOf(character)), [character.id, character.version]);

  const save = async (e: Event) => {
    e.preventDefault();
    let extensions: unknown;
    let multilingual: unknown;
    try {
      extensions = JSON.parse(draft.extensions || '{}');
      multilingual = JSON.parse(draft.creator_notes_multilingual || '{}');
    } catch {
      setMessage('Extensions and multilingual creator notes must be JSON');
      return;
    }
    const { nickname: _nickname, ...rest } = Object.fromEntries(TEXT_FIELDS.map(([f]) => [f, draft[f] ?? '']));
    const body = {
      ...rest,
      tags: (draft.tags ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      alternate_greetings: greetings(draft.alternate_greetings ?? ''),
      extensions,
      card_data: changedCardData(draft, draftOf(character), multilingual),
    };
    try {
      const saved = await api.json<Character>('PUT', `/api/v1/characters/${character.id}?expected_version=${character.version}`, body);
      onSaved(saved);
      setMessage(`Saved as version ${saved.version}`);
    } catch (err) {
      setMessage((err as Error).message);
    }
  };

  const field = (name: string, label: string, multiline: boolean, hint?: string) => (
    <div class="field">
      <label for={`field-${name}`}>{label}</label>
      {multiline ? (
        <textarea
          id={`field-${name}`}
          rows={4}
          value={draft[name]}
          onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })}
        />
      ) : (
        <input id={`field-${name}`} value={draft[name]} onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })} />
      )}
      {hint && <small class="muted">{hint}</small>}
    </div>
  );

  return (
    <form class="editor" onSubmit={save} aria-label="Card editor">
      <fieldset>
        <legend>Identity</legend>
        {TEXT_FIELDS.filter(([, , m]) => !m).map(([f, l]) => field(f, l, false))}
        {field('tags', 'Tags', false, 'comma-separated')}
      </fieldset>
      <fieldset>
        <legend>Prompt</legend>
        {TEXT_FIELDS.filter(([, , m]) => m).map(([f, l]) => field(f, l, true))}
        {field('alternate_greetings', 'Alternate greetings', true, 'separate greetings with a line of ---')}
      </fieldset>
      <fieldset>
        <legend>Character Card V3</legend>
        {field('group_only_greetings', 'Group-only greetings', true, 'separate greetings with a line of ---')}
        {field('source', 'Sources', true, 'one per line')}
        {field('creator_notes_multilingual', 'Creator notes by language (JSON)', true)}
      </fieldset>
      <fieldset>
        <legend>Extensions</legend>
        {field('extensions', 'Extensions (JSON)', true)}
      </fieldset>
      <div class="form-actions">
        <button type="submit">Save</button>
        <span role="status" aria-live="polite">
          {message}
        </span>
      </div>
    </form>
  );
}
